// Small TCP upstreams and clients on loopback addresses for the proxy's tests.

import { connect, createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
export { silent } from '../support/logger.ts'

export const PROXY_HOST = '127.0.0.101'

const open = new WeakMap<Server, Set<Socket>>()

/** A TCP server on host:port; resolves once listening. */
export async function serve (host: string, port: number, onSocket: (s: Socket) => void, opts: { allowHalfOpen?: boolean } = {}): Promise<Server> {
  const sockets = new Set<Socket>()
  const server = createServer({ allowHalfOpen: opts.allowHalfOpen ?? false }, (s) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
    onSocket(s)
  })
  open.set(server, sockets)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port }, () => { server.removeListener('error', reject); resolve() })
  })
  return server
}

/** An upstream that answers every connection with its name and closes. */
export function namer (host: string, port: number): Promise<Server> {
  return serve(host, port, (s) => { s.on('error', () => {}); s.end(`${host}:${port}`) })
}

/** An upstream that echoes, each chunk prefixed by nothing: bytes in, same bytes out. */
export function echo (host: string, port: number): Promise<Server> {
  return serve(host, port, (s) => { s.on('error', () => {}); s.pipe(s) })
}

/** Close a server and every socket it still has. */
export async function shut (server: Server): Promise<void> {
  for (const s of open.get(server) ?? []) s.destroy()
  await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
}

/** Connect to the proxy, send payload (then FIN if end), resolve with all bytes received until the close. */
export function request (port: number, payload = '', end = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: PROXY_HOST, port, allowHalfOpen: true })
    const chunks: Buffer[] = []
    s.on('data', (c: Buffer) => chunks.push(c))
    s.on('error', reject)
    s.on('close', () => { resolve(Buffer.concat(chunks).toString()) })
    s.on('end', () => { s.end() })
    if (payload !== '') s.write(payload)
    if (end) s.end()
  })
}

/** An open client connection to the proxy, with helpers to talk over it. */
export async function dialProxy (port: number, localAddress?: string): Promise<Client> {
  const s = connect({ host: PROXY_HOST, port, localAddress })
  await new Promise<void>((resolve, reject) => { s.once('connect', resolve); s.once('error', reject) })
  return new Client(s)
}

export class Client {
  readonly socket: Socket
  readonly closed: Promise<void>
  private buffer = ''
  private waiter: (() => void) | undefined

  constructor (socket: Socket) {
    this.socket = socket
    socket.on('error', () => {})
    socket.on('data', (c: Buffer) => { this.buffer += c.toString(); this.waiter?.() })
    this.closed = new Promise((resolve) => { socket.once('close', () => { this.waiter?.(); resolve() }) })
  }

  /** Send text and wait until at least n bytes came back; resolves with them (and clears them). */
  async roundTrip (text: string, n = text.length): Promise<string> {
    this.socket.write(text)
    return await this.read(n)
  }

  async read (n: number): Promise<string> {
    while (this.buffer.length < n) {
      if (this.socket.destroyed) throw new Error(`closed after ${this.buffer.length} bytes`)
      await new Promise<void>((resolve) => { this.waiter = resolve })
    }
    const out = this.buffer.slice(0, n)
    this.buffer = this.buffer.slice(n)
    return out
  }

  destroy (): void { this.socket.destroy() }
}

export function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
