// DNS clients and a fake upstream resolver on loopback addresses, for the server's
// tests and its benchmark. Messages are built and read with dns-packet.

import { createSocket } from 'node:dgram'
import type { Socket as UdpSocket } from 'node:dgram'
import { connect, createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { RECURSION_DESIRED, decode, encode } from 'dns-packet'
import type { DecodedPacket, Packet, RecordType } from 'dns-packet'
import { FrameReader, frame } from '../../../src/node/dns/frames.ts'

export interface Target { host: string, port: number }

/** A standard query for one name, with EDNS when `edns` names a UDP size. */
export function query (name: string, type: RecordType | 'ANY' = 'A', opts: { id?: number, edns?: number } = {}): Buffer {
  return encode({
    id: opts.id ?? 4242,
    type: 'query',
    flags: RECURSION_DESIRED,
    questions: [{ name, type: type as RecordType, class: 'IN' }],
    additionals: opts.edns === undefined ? [] : [{ name: '.', type: 'OPT', udpPayloadSize: opts.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }]
  })
}

/** The rcode of a decoded response, by name. */
export function rcodeOf (packet: DecodedPacket): string {
  return (packet as DecodedPacket & { rcode: string }).rcode
}

/** Sends each message over UDP from `from` (an address of 127/8) and collects every response until `waitMs` passes with none. */
export async function udpAsk (target: Target, messages: Buffer[], opts: { from?: string, waitMs?: number } = {}): Promise<Buffer[]> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve) => { socket.bind({ address: opts.from ?? '127.0.0.1', port: 0 }, resolve) })
  const responses: Buffer[] = []
  try {
    await new Promise<void>((resolve) => {
      let timer = setTimeout(resolve, opts.waitMs ?? 500)
      socket.on('message', (message: Buffer) => {
        responses.push(message)
        clearTimeout(timer)
        timer = setTimeout(resolve, responses.length >= messages.length ? 20 : opts.waitMs ?? 500)
      })
      for (const message of messages) socket.send(message, target.port, target.host)
    })
  } finally {
    socket.close()
  }
  return responses
}

/** One UDP question, its decoded response (throws when none comes). */
export async function udpQuery (target: Target, message: Buffer, from?: string): Promise<DecodedPacket> {
  const [response] = await udpAsk(target, [message], { ...(from === undefined ? {} : { from }), waitMs: 3000 })
  if (response === undefined) throw new Error('no UDP response')
  return decode(response)
}

/** Sends the messages on one TCP connection and collects `expect` responses; resolves early with what came if the server closes. */
export function tcpAsk (target: Target, messages: Buffer[], expect = messages.length, raw = false): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port })
    const reader = new FrameReader()
    const responses: Buffer[] = []
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`${responses.length} of ${expect} TCP responses`)) }, 5000)
    const done = (): void => { clearTimeout(timer); socket.destroy(); resolve(responses) }
    socket.on('error', reject)
    socket.on('close', done)
    socket.on('data', (chunk: Buffer) => {
      responses.push(...reader.push(chunk))
      if (responses.length >= expect) done()
    })
    for (const message of messages) socket.write(raw ? message : frame(message))
  })
}

/** One TCP question, its decoded response. */
export async function tcpQuery (target: Target, message: Buffer): Promise<DecodedPacket> {
  const [response] = await tcpAsk(target, [message])
  if (response === undefined) throw new Error('no TCP response')
  return decode(response)
}

/** What a fake upstream sends back to one query: a packet to encode, raw messages, or nothing. */
export type UpstreamReply = Packet | Buffer[] | undefined

export interface FakeUpstream extends Target {
  /** Every query received, with the transport it came over. */
  received: Array<{ transport: 'udp' | 'tcp', query: DecodedPacket }>
  close: () => Promise<void>
}

/** A DNS server on host (UDP and TCP on one free port) that answers with `reply`. */
export async function fakeUpstream (host: string, reply: (query: DecodedPacket, transport: 'udp' | 'tcp') => UpstreamReply): Promise<FakeUpstream> {
  const received: FakeUpstream['received'] = []
  const messagesFor = (message: Buffer, transport: 'udp' | 'tcp'): Buffer[] => {
    const decoded = decode(message)
    received.push({ transport, query: decoded })
    const answer = reply(decoded, transport)
    if (answer === undefined) return []
    return Array.isArray(answer) ? answer : [encode(answer)]
  }
  const udp: UdpSocket = createSocket('udp4')
  udp.on('message', (message: Buffer, peer) => {
    for (const out of messagesFor(message, 'udp')) udp.send(out, peer.port, peer.address)
  })
  await new Promise<void>((resolve) => { udp.bind({ address: host, port: 0 }, resolve) })
  const port = udp.address().port
  const sockets = new Set<Socket>()
  const tcp: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    const reader = new FrameReader()
    socket.on('data', (chunk: Buffer) => {
      for (const message of reader.push(chunk)) for (const out of messagesFor(message, 'tcp')) socket.write(frame(out))
    })
  })
  await new Promise<void>((resolve) => { tcp.listen({ host, port }, resolve) })
  return {
    host,
    port,
    received,
    async close () {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => { udp.close(() => { resolve() }) })
      await new Promise<void>((resolve) => { tcp.close(() => { resolve() }) })
    }
  }
}

/** The response an upstream gives to `q`: its question and these A records. */
export function upstreamAnswer (q: DecodedPacket, addresses: string[], flags = 0): Packet {
  return {
    id: q.id,
    type: 'response',
    flags: RECURSION_DESIRED | 0x80 | flags,
    questions: q.questions,
    answers: addresses.map((data) => ({ name: q.questions![0]!.name, type: 'A', class: 'IN', ttl: 300, data }))
  }
}
