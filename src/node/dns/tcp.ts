// The TCP side of the server (RFC 7766): several queries per connection, answered as
// they complete (each carries its id), an idle timeout, and a cap on connections in
// all and per source so idle connections cannot take every slot.

import { createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { MAX_TCP_CONNECTIONS, MAX_TCP_CONNECTIONS_PER_SOURCE, TCP_IDLE_TIMEOUT_MS } from './constants.ts'
import { FrameReader, frame } from './frames.ts'
import type { Logger } from '../../logger.ts'

/** The response to one message, or undefined when the message was not a query to answer. */
export type Answerer = (message: Buffer, source: string) => Promise<Buffer | undefined>

export interface TcpFrontInit {
  host: string
  port: number
  answer: Answerer
  log: Logger
  idleTimeoutMs?: number
}

/** A listening TCP server for DNS; close() ends it and every connection. */
export class TcpFront {
  private readonly init: TcpFrontInit
  private readonly server: Server
  private readonly sockets = new Set<Socket>()
  private readonly perSource = new Map<string, number>()

  private constructor (init: TcpFrontInit) {
    this.init = init
    this.server = createServer({ allowHalfOpen: true }, (socket) => { this.accept(socket) })
  }

  /** Listens on init.host:init.port; rejects when it cannot. */
  static async listen (init: TcpFrontInit): Promise<TcpFront> {
    const front = new TcpFront(init)
    await new Promise<void>((resolve, reject) => {
      front.server.once('error', reject)
      front.server.listen({ host: init.host, port: init.port, exclusive: true }, () => {
        front.server.removeListener('error', reject)
        resolve()
      })
    })
    front.server.on('error', (err) => { init.log.error({ err: err.message }, 'dns tcp listener failed') })
    return front
  }

  /** Connections open now. */
  get connections (): number {
    return this.sockets.size
  }

  async close (): Promise<void> {
    const closed = new Promise<void>((resolve) => { this.server.close(() => { resolve() }) })
    for (const socket of this.sockets) socket.destroy()
    await closed
  }

  private accept (socket: Socket): void {
    const source = socket.remoteAddress ?? ''
    const fromSource = this.perSource.get(source) ?? 0
    if (this.sockets.size >= MAX_TCP_CONNECTIONS || fromSource >= MAX_TCP_CONNECTIONS_PER_SOURCE) {
      socket.destroy()
      return
    }
    this.sockets.add(socket)
    this.perSource.set(source, fromSource + 1)
    socket.once('close', () => {
      this.sockets.delete(socket)
      const left = (this.perSource.get(source) ?? 1) - 1
      if (left <= 0) this.perSource.delete(source)
      else this.perSource.set(source, left)
    })
    socket.on('error', () => { socket.destroy() })
    socket.setNoDelay(true)
    socket.setTimeout(this.init.idleTimeoutMs ?? TCP_IDLE_TIMEOUT_MS, () => { socket.destroy() })
    this.serve(socket, source)
  }

  /** Answers every framed query on the socket; ends it once the client has and every answer is written. */
  private serve (socket: Socket, source: string): void {
    const reader = new FrameReader()
    let inFlight = 0
    let ended = false
    const endIfDone = (): void => { if (ended && inFlight === 0) socket.end() }
    socket.on('data', (chunk: Buffer) => {
      for (const message of reader.push(chunk)) {
        inFlight++
        this.init.answer(message, source)
          .then((response) => {
            // A message that is not a query ends the connection (RFC 7766 §6.2.3 allows it).
            if (response === undefined) socket.destroy()
            else if (!socket.destroyed) socket.write(frame(response))
          })
          .catch((err: Error) => {
            this.init.log.error({ err: err.message }, 'dns tcp query failed')
            socket.destroy()
          })
          .finally(() => {
            inFlight--
            endIfDone()
          })
      }
    })
    socket.on('end', () => {
      ended = true
      endIfDone()
    })
  }
}
