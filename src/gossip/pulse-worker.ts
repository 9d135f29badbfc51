// The pulse worker: this node's liveness on a thread of its own. A node starved of CPU
// (nice 19 beside busy loops) runs its one event loop a few percent of the time; its
// idle work (digests, signature checks, gossipsub heartbeats, timers, GC) queues up in
// front of its heartbeat timer, and its peers declared it dead while it ran. This
// thread does one small thing per heartbeat: while the main thread keeps checking in,
// it signs a beat (a pulse) and sends it by UDP to every member; and it checks the
// pulses members send and hands the main thread those that are news. That takes a
// fraction of a millisecond per heartbeat, and the kernel schedules this thread on its
// own: it is not behind the main loop's backlog, nor stopped by the main heap's GC.
//
// A pulse is a beat like any other: this node's incarnation, a counter drawn from the
// sequence the main thread's beats draw from too, the main thread's clock, signed with
// the node key over the bytes of beatPayload (beat-signature.ts). The main thread's
// digests carry this node's latest pulse as its own beat, and the pulses it takes
// from members are relayed like any beat: each beat is signed once and, wherever it
// arrives first, verified once. What the worker hands the main thread waits in a port
// the main thread reads on its own timers, so pulses never wake it. Datagrams are not authenticated by noise, so
// a pulse counts only from the address the document gives its member, within a rate
// per source address, when newer than the last taken (a replay proves nothing), and
// with a signature that verifies; the detector then dates it by its signed clock, so
// one held back proves life only as of when it left. Pulses use UDP on the p2p port
// number: a firewall rule dropping packets between two addresses cuts them as it cuts
// TCP.
//
// pulseWorker() is the worker's whole program, spawned from its source text (`eval:
// true`, pulses.ts): the bundle stays one file and the worker loads neither meshd's
// modules nor libp2p. So it may use its own locals, globals, and Node's builtins through
// process.getBuiltinModule, never a binding of this module; everything else comes in
// workerData. Its types are erased from src/ by Node and from the bundle by esbuild.

import type { KeyObject } from 'node:crypto'
import type { RemoteInfo } from 'node:dgram'
import type { MessagePort } from 'node:worker_threads'

/** Slots of the Uint32Array the worker shares with the main thread. */
export const PULSE_SLOTS = {
  /** The beat counter both threads draw from (Atomics.add). */
  seq: 0,
  /** Bumped by the main thread on every heartbeat: its loop still makes progress. */
  checkIn: 1,
  /** Pulses sent (one per heartbeat, to every member). */
  sent: 2,
  /** Datagrams received, and what became of them. */
  received: 3,
  taken: 4,
  forged: 5,
  stale: 6,
  strangers: 7,
  malformed: 8,
  limited: 9,
  /** Heartbeats without a pulse: the main thread had not checked in within the lease. */
  lapsed: 10
} as const
export const PULSE_SLOT_COUNT = 11

export interface PulseWorkerData {
  self: string
  /** Bound by the UDP socket: the node's address and p2p port. */
  host: string
  port: number
  /** The node key (signingKey in beat-signature.ts). */
  key: KeyObject
  incarnation: number
  /** Process-wide hrtime (ms) minus the main thread's performance.now(): pulses carry the main thread's clock. */
  shift: number
  /** BEAT_DOMAIN: the tag beat payloads start with. */
  domain: Uint8Array
  /** Where pulses taken and sent go (FromPulseWorker 'pulse' and 'sent'); the main thread pulls them. */
  inbox: MessagePort
  /** PULSE_SLOT_COUNT Uint32 counters, laid out as PULSE_SLOTS. */
  shared: SharedArrayBuffer
  slots: typeof PULSE_SLOTS
  heartbeatMs: number
  /** No pulses once the main thread has not checked in for this long (PULSE_LEASE_MS). */
  leaseMs: number
  /** Pulses taken per second per source address, and the burst (PULSE_RATE, PULSE_BURST). */
  rate: number
  burst: number
}

/** A member pulses go to and are taken from. */
export interface PulseTarget {
  id: string
  host: string
  port: number
  /** The Ed25519 public key in its id. */
  key: KeyObject
}

/** A verified pulse, received at `at` (the main thread's performance.now()). */
export interface Pulse {
  id: string
  incarnation: number
  seq: number
  clock: number
  signature: Uint8Array
  at: number
}

/** This node's own pulse as sent: the main thread's digests carry the latest. */
export interface SentPulse { seq: number, clock: number, signature: Uint8Array }

export type ToPulseWorker = { type: 'members', members: PulseTarget[] }
/** On the worker's parent port: whether it listens. */
export type PulseWorkerStatus = { type: 'ready' } | { type: 'failed', message: string }
/** In the inbox. */
export type FromPulseWorker = { type: 'pulse', pulse: Pulse } | { type: 'sent', pulse: SentPulse }

/** The pulse worker's program: runs only as the source of the worker thread (see above). */
export function pulseWorker (): void {
  const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads')
  const { createSocket } = process.getBuiltinModule('node:dgram')
  const { sign, verify } = process.getBuiltinModule('node:crypto')
  if (parentPort === null) return
  const main = parentPort
  const init = workerData as PulseWorkerData
  const slots = init.slots
  const counters = new Uint32Array(init.shared)
  const count = (slot: number): void => { Atomics.add(counters, slot, 1) }
  const now = (): number => Number(process.hrtime.bigint()) / 1e6 - init.shift
  // Datagram: version u8, id length u8, id, incarnation f64, seq u32, clock f64, signature.
  const VERSION = 1
  const FIXED = 8 + 4 + 8 + 64
  const self = Buffer.from(init.self, 'utf8')

  interface Source { host: string, port: number, key: KeyObject, incarnation: number, seq: number, takenAt: number, tokens: number, filledAt: number }
  let members = new Map<string, Source>()
  let checkIns = Atomics.load(counters, slots.checkIn)
  let progressAt = now()
  let lapsed = false
  let listening = false

  // The bytes of beatPayload: domain tag, incarnation f64, seq u32, clock f64.
  const payload = (incarnation: number, seq: number, clock: number): Buffer => {
    const bytes = Buffer.alloc(init.domain.byteLength + 20)
    bytes.set(init.domain)
    bytes.writeDoubleBE(incarnation, init.domain.byteLength)
    bytes.writeUInt32BE(seq, init.domain.byteLength + 8)
    bytes.writeDoubleBE(clock, init.domain.byteLength + 12)
    return bytes
  }

  const encode = (seq: number, clock: number, signature: Uint8Array): Buffer => {
    const bytes = Buffer.alloc(2 + self.byteLength + FIXED)
    bytes.writeUInt8(VERSION, 0)
    bytes.writeUInt8(self.byteLength, 1)
    bytes.set(self, 2)
    const at = 2 + self.byteLength
    bytes.writeDoubleBE(init.incarnation, at)
    bytes.writeUInt32BE(seq, at + 8)
    bytes.writeDoubleBE(clock, at + 12)
    bytes.set(signature, at + 20)
    return bytes
  }

  const decode = (bytes: Buffer): Omit<Pulse, 'at'> | undefined => {
    if (bytes.byteLength < 3 || bytes.readUInt8(0) !== VERSION) return undefined
    const length = bytes.readUInt8(1)
    if (length === 0 || bytes.byteLength !== 2 + length + FIXED) return undefined
    const at = 2 + length
    const incarnation = bytes.readDoubleBE(at)
    const clock = bytes.readDoubleBE(at + 12)
    if (!Number.isFinite(incarnation) || !Number.isFinite(clock)) return undefined
    const signature = new Uint8Array(bytes.subarray(at + 20))
    return { id: bytes.toString('utf8', 2, at), incarnation, seq: bytes.readUInt32BE(at + 8), clock, signature }
  }

  // A token bucket per member address: what a flood can cost is bounded before any signature is checked.
  const admit = (source: Source, t: number): boolean => {
    source.tokens = Math.min(init.burst, source.tokens + (t - source.filledAt) * init.rate / 1000)
    source.filledAt = t
    if (source.tokens < 1) return false
    source.tokens -= 1
    return true
  }

  const receive = (datagram: Buffer, from: RemoteInfo): void => {
    count(slots.received)
    const at = now()
    // A wedged main thread would only queue them up.
    if (lapsed) return
    const pulse = decode(datagram)
    if (pulse === undefined) return count(slots.malformed)
    const source = members.get(pulse.id)
    if (source === undefined || source.host !== from.address) return count(slots.strangers)
    if (!admit(source, at)) return count(slots.limited)
    // After a long silence any verified pulse goes on, and the detector (which also
    // hears the member's digests) judges it: a member restarted with its clock set
    // back has a lower incarnation than the last pulse taken.
    const newer = pulse.incarnation > source.incarnation || (pulse.incarnation === source.incarnation && pulse.seq > source.seq)
    if (!newer && at - source.takenAt < init.leaseMs) return count(slots.stale)
    if (!verify(null, payload(pulse.incarnation, pulse.seq, pulse.clock), source.key, pulse.signature)) return count(slots.forged)
    source.incarnation = pulse.incarnation
    source.seq = pulse.seq
    source.takenAt = at
    count(slots.taken)
    init.inbox.postMessage({ type: 'pulse', pulse: { ...pulse, at } } satisfies FromPulseWorker)
  }

  const socket = createSocket({ type: init.host.includes(':') ? 'udp6' : 'udp4' })
  const beat = (clock: number): void => {
    const seq = (Atomics.add(counters, slots.seq, 1) + 1) >>> 0
    const signature = sign(null, payload(init.incarnation, seq, clock), init.key)
    const datagram = encode(seq, clock, signature)
    // A failed send costs that member this one pulse.
    for (const member of members.values()) socket.send(datagram, member.port, member.host, () => {})
    count(slots.sent)
    init.inbox.postMessage({ type: 'sent', pulse: { seq, clock, signature: new Uint8Array(signature) } } satisfies FromPulseWorker)
  }
  const tick = (): void => {
    const t = now()
    const checkedIn = Atomics.load(counters, slots.checkIn)
    if (checkedIn !== checkIns) {
      checkIns = checkedIn
      progressAt = t
    }
    lapsed = t - progressAt > init.leaseMs
    if (lapsed) count(slots.lapsed)
    else beat(t)
    // ±10% jitter, as the main thread's beats.
    setTimeout(tick, init.heartbeatMs * (0.9 + 0.2 * Math.random()))
  }

  const onMembers = (message: ToPulseWorker): void => {
    if (message.type !== 'members') return
    const next = new Map<string, Source>()
    for (const { id, host, port, key } of message.members) {
      const known = members.get(id)
      const kept = known !== undefined && known.host === host
      next.set(id, kept ? { ...known, port, key } : { host, port, key, incarnation: -1, seq: -1, takenAt: -Infinity, tokens: init.burst, filledAt: now() })
    }
    members = next
  }
  main.on('message', onMembers)
  socket.on('message', receive)
  socket.on('error', err => {
    if (listening) return
    // Nothing left to do: with neither socket nor listener, the thread ends.
    main.postMessage({ type: 'failed', message: err.message } satisfies PulseWorkerStatus)
    main.off('message', onMembers)
    socket.close()
  })
  socket.once('listening', () => {
    listening = true
    main.postMessage({ type: 'ready' } satisfies PulseWorkerStatus)
    setTimeout(tick, Math.random() * init.heartbeatMs)
  })
  socket.bind({ address: init.host, port: init.port, exclusive: true })
}
