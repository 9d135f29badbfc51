// A tiny DNS server for tests (UDP, dns-packet: the wire-format library of src/node/dns):
// it answers A queries for the names it is given, nothing for AAAA, NXDOMAIN for the rest.
// `hold` delays the answers to a name until `release`: how a test keeps a CA's validation
// waiting for as long as it needs (a SIGKILL landing mid-issuance), without guessing at sleeps.

import { createSocket } from 'node:dgram'
import { decode, encode } from 'dns-packet'
import type { Answer } from 'dns-packet'

export interface DnsAnswers {
  address: string
  port: number
  /** Answers `name` with these IPv4 addresses from now on. */
  set: (name: string, addresses: string[]) => void
  /** Queries for `name` wait (unanswered) until release(name). */
  hold: (name: string) => void
  release: (name: string) => void
  /** The names asked so far, in order (any type). */
  asked: string[]
  close: () => Promise<void>
}

export async function startDns (address: string, port: number): Promise<DnsAnswers> {
  const socket = createSocket('udp4')
  const records = new Map<string, string[]>()
  const held = new Map<string, Array<() => void>>()
  const asked: string[] = []
  socket.on('message', (message, peer) => {
    let query
    try { query = decode(message) } catch { return }
    const question = query.questions?.[0]
    if (question === undefined) return
    const name = question.name.toLowerCase()
    const answer = (): void => {
      const addresses = records.get(name)
      const answers: Answer[] = question.type === 'A' ? (addresses ?? []).map((data) => ({ type: 'A', name: question.name, ttl: 1, data })) : []
      const reply = encode({ id: query.id, type: 'response', flags: (1 << 10) | (addresses === undefined ? 3 : 0), questions: [question], answers })
      socket.send(reply, peer.port, peer.address)
    }
    asked.push(name)
    const waiting = held.get(name)
    if (waiting !== undefined) waiting.push(answer)
    else answer()
  })
  await new Promise<void>((resolve, reject) => { socket.once('error', reject); socket.bind(port, address, () => { resolve() }) })
  return {
    address,
    port,
    set: (name, addresses) => { records.set(name.toLowerCase(), addresses) },
    hold: (name) => { if (!held.has(name)) held.set(name, []) },
    release: (name) => { const waiting = held.get(name) ?? []; held.delete(name); for (const answer of waiting) answer() },
    asked,
    close: async () => { await new Promise<void>((resolve) => { socket.close(() => { resolve() }) }) }
  }
}
