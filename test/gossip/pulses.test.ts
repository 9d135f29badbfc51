// The pulse worker on real UDP sockets on 127.0.0.231-.236: pulses it sends verify
// with the node's key; of the datagrams it receives, only a member's news with a good
// signature from the member's address reaches the main thread; it stops pulsing while
// the main loop is stalled beyond the lease. Datagrams are written out here by hand,
// which pins their format.

import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Pulses } from '../../src/gossip/pulses.ts'
import type { Pulse } from '../../src/gossip/pulses.ts'
import { Ed25519Verifier, beatPayload, ed25519Signer } from '../../src/gossip/beat-signature.ts'
import { HEARTBEAT_MS, PULSE_BURST, PULSE_RATE } from '../../src/gossip/constants.ts'
import { TestCluster, sleep, waitFor } from './helpers.ts'
import { recordingLogger } from '../support/logger.ts'
import type { PrivateKey } from '@libp2p/interface'

const PORT = 46_500
const HEARTBEAT = 100

interface Member { key: PrivateKey, id: string }
interface Datagram { id: string, incarnation: number, seq: number, clock: number, signature: Uint8Array }

async function member (): Promise<Member> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key).toString() }
}

/** A pulse datagram: version 1, id length, id, incarnation f64, seq u32, clock f64, signature. */
function craft (from: Member, incarnation: number, seq: number, clock: number, signature?: Uint8Array): Buffer {
  const id = Buffer.from(from.id)
  const bytes = Buffer.alloc(2 + id.byteLength + 84)
  bytes.writeUInt8(1, 0)
  bytes.writeUInt8(id.byteLength, 1)
  id.copy(bytes, 2)
  const at = 2 + id.byteLength
  bytes.writeDoubleBE(incarnation, at)
  bytes.writeUInt32BE(seq, at + 8)
  bytes.writeDoubleBE(clock, at + 12)
  bytes.set(signature ?? ed25519Signer(from.key).sign(beatPayload(incarnation, seq, clock)), at + 20)
  return bytes
}

function parse (bytes: Buffer): Datagram {
  const length = bytes.readUInt8(1)
  const at = 2 + length
  return { id: bytes.toString('utf8', 2, at), incarnation: bytes.readDoubleBE(at), seq: bytes.readUInt32BE(at + 8), clock: bytes.readDoubleBE(at + 12), signature: bytes.subarray(at + 20) }
}

describe('pulses', () => {
  const closing: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close()
  })

  async function socket (host: string, port: number, received: Datagram[] = []): Promise<Socket> {
    const udp = createSocket('udp4')
    udp.on('message', bytes => { received.push(parse(bytes)) })
    await new Promise<void>(resolve => { udp.bind(port, host, resolve) })
    closing.push(async () => { await new Promise<void>(resolve => { udp.close(() => { resolve() }) }) })
    return udp
  }

  async function pulses (self: Member, host: string, port: number, options: { leaseMs?: number, members?: Array<{ id: string, host: string, port: number }> } = {}): Promise<{ pulses: Pulses, taken: Pulse[], log: ReturnType<typeof recordingLogger> }> {
    const taken: Pulse[] = []
    const log = recordingLogger(host)
    const p = new Pulses({ self: self.id, privateKey: self.key, host, port, incarnation: 7, heartbeatMs: HEARTBEAT, log, onPulse: pulse => { taken.push(pulse) }, ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }) })
    p.members(options.members ?? [])
    // As membership does: check in on its beats, pull what the worker handed over on its timers.
    const checkIns = setInterval(() => { p.checkIn(); p.drain() }, 50)
    closing.push(async () => { clearInterval(checkIns); await p.stop() })
    await p.start()
    return { pulses: p, taken, log }
  }

  it('sends pulses signed with the node key, on the main thread\'s clock and beat sequence, and takes a member\'s', async () => {
    const [a, b] = [await member(), await member()]
    const received: Datagram[] = []
    const udp = await socket('127.0.0.232', PORT, received)
    const started = performance.now()
    const { pulses: p, taken } = await pulses(a, '127.0.0.231', PORT, { members: [{ id: a.id, host: '127.0.0.231', port: PORT }, { id: b.id, host: '127.0.0.232', port: PORT }] })
    const drawn: number[] = []
    const drawing = setInterval(() => { drawn.push(p.nextSeq()) }, 30)
    await waitFor('five pulses', () => received.length >= 5)
    clearInterval(drawing)
    const verifier = new Ed25519Verifier()
    for (const pulse of received) {
      expect(pulse.id).toBe(a.id)
      expect(pulse.incarnation).toBe(7)
      expect(verifier.verify(a.id, beatPayload(pulse.incarnation, pulse.seq, pulse.clock), pulse.signature)).toBe(true)
      expect(pulse.clock).toBeGreaterThan(started)
      expect(pulse.clock).toBeLessThanOrEqual(performance.now())
    }
    // One sequence for both threads: every counter drawn once, rising in each thread.
    const sent = received.map(pulse => pulse.seq)
    expect(new Set([...sent, ...drawn]).size).toBe(sent.length + drawn.length)
    expect(sent).toEqual([...sent].sort((x, y) => x - y))
    // The main thread is handed its latest pulse, for its digests, while it is recent.
    const last = received.at(-1) as Datagram
    p.drain()
    expect(p.latest(last.clock + 2 * HEARTBEAT)).toBeUndefined()
    const latest = p.latest(last.clock + 1)
    expect(latest?.seq).toBeGreaterThanOrEqual(last.seq)
    expect(verifier.verify(a.id, beatPayload(7, latest?.seq ?? 0, latest?.clock ?? 0), latest?.signature ?? new Uint8Array())).toBe(true)

    udp.send(craft(b, 3, 1, 12.5), PORT, '127.0.0.231')
    await waitFor('b\'s pulse taken', () => taken.length === 1)
    expect(taken[0]).toMatchObject({ id: b.id, incarnation: 3, seq: 1, clock: 12.5 })
    expect(Math.abs((taken[0]?.at ?? 0) - performance.now())).toBeLessThan(1000)
    expect(p.stats).toMatchObject({ taken: 1, forged: 0, stale: 0, strangers: 0 })
  })

  it('passes on a member\'s pulse once: never a replay, an older counter, a forgery, a stranger\'s, one from another address, or a flood', async () => {
    const [a, b, stranger] = [await member(), await member(), await member()]
    const udp = await socket('127.0.0.234', PORT)
    const elsewhere = await socket('127.0.0.235', PORT)
    const { pulses: p, taken } = await pulses(a, '127.0.0.233', PORT, { members: [{ id: b.id, host: '127.0.0.234', port: PORT }] })
    const send = (bytes: Buffer, from = udp): void => { from.send(bytes, PORT, '127.0.0.233') }
    const good = craft(b, 1, 10, 100)
    send(good)
    await waitFor('the first pulse', () => p.stats.taken === 1)
    send(good)
    send(craft(b, 1, 9, 90))
    send(craft(b, 1, 11, 110, new Uint8Array(64).fill(7)))
    send(craft(b, 1, 12, 120, ed25519Signer(b.key).sign(beatPayload(1, 12, 121))))
    send(craft(stranger, 1, 1, 1))
    send(craft(b, 1, 13, 130), elsewhere)
    send(Buffer.from('not a pulse'))
    send(good.subarray(0, good.byteLength - 1))
    await waitFor('eight more datagrams', () => p.stats.received === 9)
    expect(p.stats).toMatchObject({ taken: 1, stale: 2, forged: 2, strangers: 2, malformed: 2, limited: 0 })
    p.drain()
    expect(taken.map(pulse => pulse.seq)).toEqual([10])

    // A flood: fresh, genuine pulses far faster than one a heartbeat. What the bucket
    // holds passes (one token spent on each pulse above), then one in a while.
    // The bucket refills at PULSE_RATE a second while the flood is read: on a loaded machine
    // that can take a while, and each refilled token lets one more through.
    const flooded = performance.now()
    for (let seq = 100; seq < 200; seq++) send(craft(b, 1, seq, seq))
    await waitFor('the flood', () => p.stats.received === 109)
    const refilled = Math.ceil((performance.now() - flooded) / 1000 * PULSE_RATE)
    expect(p.stats.limited).toBeGreaterThan(100 - PULSE_BURST - refilled)
    expect(p.stats.taken).toBeLessThanOrEqual(PULSE_BURST + 2 + refilled)
  })

  it('stops pulsing while the main loop is stalled beyond the lease, and pulses again once it checks in', async () => {
    const [a, b] = [await member(), await member()]
    const received: Datagram[] = []
    await socket('127.0.0.237', PORT, received)
    const lease = 400
    const { pulses: p, log } = await pulses(a, '127.0.0.236', PORT, { leaseMs: lease, members: [{ id: b.id, host: '127.0.0.237', port: PORT }] })
    await waitFor('pulses', () => received.length >= 3)
    // The main thread stalls (no check-ins, no reads) for 2 s; the worker runs on.
    const stalled = performance.now()
    while (performance.now() - stalled < 2000) { /* a wedged loop */ }
    const resumed = performance.now()
    await sleep(3 * HEARTBEAT)
    const during = received.filter(pulse => pulse.clock > stalled && pulse.clock < resumed).map(pulse => Math.round(pulse.clock - stalled))
    // Pulses go on until the worker has missed check-ins for the lease (one heartbeat to
    // notice the last one, one to notice the lapse: ~620 ms, more if its timers run late
    // on a loaded machine), then stop until the stall ends: the stall's last heartbeats
    // carry none.
    expect(during.length).toBeGreaterThan(0)
    expect(Math.max(...during)).toBeLessThan(2000 - 2 * HEARTBEAT)
    expect(received.some(pulse => pulse.clock > resumed)).toBe(true)
    expect(p.stats.lapsed).toBeGreaterThan(0)
    expect(log.warns.map(entry => entry.msg)).toContainEqual(expect.stringMatching(/stalled beyond the pulse lease/))
  })

  it('goes on without pulses when its UDP port is taken, and frees the port on stop, twice safe', async () => {
    const a = await member()
    await socket('127.0.0.238', PORT)
    const { pulses: blocked, log } = await pulses(a, '127.0.0.238', PORT)
    expect(log.warns.map(entry => entry.msg)).toContainEqual(expect.stringMatching(/^no pulses \(UDP 127\.0\.0\.238:46500\): bind EADDRINUSE/))
    // The main thread signs its own beats then.
    await sleep(3 * HEARTBEAT)
    blocked.drain()
    expect(blocked.latest(performance.now())).toBeUndefined()
    expect(blocked.stats.sent).toBe(0)
    await blocked.stop()
    const { pulses: p } = await pulses(a, '127.0.0.239', PORT)
    await p.start()
    await p.stop()
    await p.stop()
    await socket('127.0.0.239', PORT)
  })

  it('keep two gossip nodes hearing each other by pulse as well as by digest, and stop with them', async () => {
    const cluster = new TestCluster()
    closing.push(async () => { await cluster.stopAll() })
    const a = await cluster.add({ name: 'a', host: '127.0.0.231', port: PORT + 1 })
    const b = await cluster.add({ name: 'b', host: '127.0.0.232', port: PORT + 1, join: [`127.0.0.231:${PORT + 1}`] })
    await waitFor('pulses taken both ways', () => [a, b].every(node => node.gossip.stats().pulses.taken >= 3))
    expect([a, b].every(node => node.gossip.members().every(m => m.state === 'alive'))).toBe(true)
    // A pulse that comes before the node record of its sender has synced is a stranger's
    // (on a loaded machine the first ones may): once both know each other, no more are.
    const strangers = [a, b].map(node => node.gossip.stats().pulses.strangers)
    await sleep(4 * HEARTBEAT_MS)
    for (const [i, node] of [a, b].entries()) expect(node.gossip.stats().pulses).toMatchObject({ forged: 0, strangers: strangers[i], malformed: 0 })
    await cluster.stop(b)
    await b.gossip.stop()
    await socket('127.0.0.232', PORT + 1) // b's pulse worker and its socket are gone
    await waitFor('b dead on a', () => a.gossip.memberState(b.gossip.id) === 'dead', 6000)
  })
})
