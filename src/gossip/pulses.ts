// The main thread's side of the pulse worker (pulse-worker.ts): spawns it with the
// node key, tells it the members' addresses, hands the detector the pulses it took and
// this node's latest (drain(), called from the detector's own timers and digests, so
// pulses never wake this loop), checks in on every heartbeat so the worker pulses only
// while this loop makes progress, and stops it with the gossip layer.
//
// What the thread buys, honestly (bench/cluster.ts benchStarvation, threads 'main' or
// 'all'). On Linux `renice -p PID` (setpriority) changes only the thread whose id is
// PID, so a node reniced after it started keeps this thread at its old priority: with
// its main thread at nice 19 beside two busy loops, this thread waited ~1.4 ms for a
// CPU per wake-up, the main thread ~19 ms, and the main loop's heartbeats ran up to
// 4.8 s late. Reniced with every other thread, it still has an event loop of its own
// (nothing queued in front of its timer) and a heap of its own, but the scheduler
// makes a nice-19 thread wait longer: ~30-45 ms a wake-up beside two busy loops, which
// it rides out (no suspicion in 11 of 12 runs); ~120 ms beside four, where the node is
// suspected a few times in 20 s (though not declared dead, in two runs).

import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads'
import { BEAT_DOMAIN, publicKeyOf, signingKey } from './beat-signature.ts'
import { PULSE_BURST, PULSE_LEASE_MS, PULSE_RATE, PULSE_READY_TIMEOUT_MS, PULSE_WORKER_HEAP_MB } from './constants.ts'
import { PULSE_SLOTS, PULSE_SLOT_COUNT, pulseWorker } from './pulse-worker.ts'

/** The worker's program as scripts/build.ts built it, apart from the bundle; absent when meshd runs from src/. */
declare const MESHD_PULSE_WORKER_SOURCE: string | undefined

/** The pulse worker's program text: built apart in the bundle, the function's own source from src/. */
function workerSource (): string {
  return typeof MESHD_PULSE_WORKER_SOURCE === 'string' ? MESHD_PULSE_WORKER_SOURCE : `(${pulseWorker.toString()})()`
}
import type { FromPulseWorker, Pulse, PulseTarget, PulseWorkerData, PulseWorkerStatus, SentPulse, ToPulseWorker } from './pulse-worker.ts'
import type { MessagePort } from 'node:worker_threads'
import type { Logger } from '../logger.ts'
import type { PrivateKey } from '@libp2p/interface'
import type { KeyObject } from 'node:crypto'

export type { Pulse, SentPulse }

export interface PulsesInit {
  self: string
  privateKey: PrivateKey
  /** The node's address and p2p port: pulses are sent from and received on UDP there. */
  host: string
  port: number
  incarnation: number
  heartbeatMs: number
  /** How long the worker pulses after the main thread's last check-in (default PULSE_LEASE_MS). */
  leaseMs?: number
  log: Logger
  /** A pulse the worker took: verified, newer than the last it took from that member. */
  onPulse: (pulse: Pulse) => void
}

export interface PulseStats {
  /** Pulses this node sent (each to every member). */
  sent: number
  /** Datagrams received; taken, or refused by reason. */
  received: number
  taken: number
  forged: number
  stale: number
  strangers: number
  malformed: number
  limited: number
  /** Heartbeats without a pulse, this node's main loop having stalled beyond the lease. */
  lapsed: number
}

/** The pulse worker of one node: start() spawns it, stop() ends it; both safe twice. */
export class Pulses {
  private readonly init: PulsesInit
  private readonly counters = new Uint32Array(new SharedArrayBuffer(PULSE_SLOT_COUNT * Uint32Array.BYTES_PER_ELEMENT))
  private keys = new Map<string, KeyObject | null>()
  private targets: PulseTarget[] = []
  private worker: Worker | undefined
  private inbox: MessagePort | undefined
  private sent: SentPulse | undefined
  private lapsedSeen = 0

  constructor (init: PulsesInit) {
    this.init = init
  }

  /** Spawns the worker and waits until it listens; when it cannot (the UDP port is taken), warns and goes on without. */
  async start (): Promise<void> {
    if (this.worker !== undefined) return
    const { self, host, port, incarnation, heartbeatMs, log } = this.init
    const { port1: inbox, port2 } = new MessageChannel()
    const workerData: PulseWorkerData = {
      self, host, port, incarnation, heartbeatMs,
      inbox: port2,
      key: signingKey(this.init.privateKey),
      shift: Number(process.hrtime.bigint()) / 1e6 - performance.now(),
      domain: BEAT_DOMAIN,
      shared: this.counters.buffer as SharedArrayBuffer,
      slots: PULSE_SLOTS,
      leaseMs: this.init.leaseMs ?? PULSE_LEASE_MS,
      rate: PULSE_RATE,
      burst: PULSE_BURST
    }
    let worker: Worker
    try {
      worker = new Worker(workerSource(), {
        eval: true, workerData, transferList: [port2], name: 'meshd-pulse', resourceLimits: { maxOldGenerationSizeMb: PULSE_WORKER_HEAP_MB }
      })
    } catch (err) {
      inbox.close()
      log.warn({ err }, 'no pulses: cannot start their thread; liveness travels in heartbeat digests only')
      return
    }
    worker.unref()
    this.worker = worker
    this.inbox = inbox
    const ready = new Promise<string | undefined>(resolve => {
      const timer = setTimeout(() => { resolve(`not listening after ${PULSE_READY_TIMEOUT_MS} ms`) }, PULSE_READY_TIMEOUT_MS)
      worker.once('message', (message: PulseWorkerStatus) => {
        clearTimeout(timer)
        resolve(message.type === 'failed' ? message.message : undefined)
      })
      worker.once('error', err => {
        clearTimeout(timer)
        log.error({ err }, 'the pulse worker failed: liveness travels in heartbeat digests only')
        resolve(err.message)
      })
    })
    this.post({ type: 'members', members: this.targets })
    const failure = await ready
    if (failure !== undefined) log.warn({ host, port }, `no pulses (UDP ${host}:${port}): ${failure}; liveness travels in heartbeat digests only`)
  }

  /** Ends the worker and its socket. */
  async stop (): Promise<void> {
    const worker = this.worker
    if (worker === undefined) return
    this.worker = undefined
    this.inbox?.close()
    this.inbox = undefined
    this.sent = undefined
    await worker.terminate()
  }

  /** Hands onPulse the pulses taken since the last call, and notes this node's latest. */
  drain (): void {
    const inbox = this.inbox
    if (inbox === undefined) return
    for (let entry = receiveMessageOnPort(inbox); entry !== undefined; entry = receiveMessageOnPort(inbox)) {
      const message = entry.message as FromPulseWorker
      if (message.type === 'sent') this.sent = message.pulse
      else this.take(message.pulse)
    }
  }

  /** This node's latest pulse as of the last drain(), when it left within a heartbeat of `now`: digests carry it as the own beat. */
  latest (now: number): SentPulse | undefined {
    const sent = this.sent
    return sent !== undefined && now - sent.clock < this.init.heartbeatMs ? sent : undefined
  }

  /** The next beat counter, shared with the worker's pulses so that the two never reuse one. */
  nextSeq (): number {
    return (Atomics.add(this.counters, PULSE_SLOTS.seq, 1) + 1) >>> 0
  }

  /** The main loop made progress: the worker may pulse for PULSE_LEASE_MS more. */
  checkIn (): void {
    Atomics.add(this.counters, PULSE_SLOTS.checkIn, 1)
    const lapsed = Atomics.load(this.counters, PULSE_SLOTS.lapsed)
    if (lapsed === this.lapsedSeen) return
    this.lapsedSeen = lapsed
    this.init.log.warn({ leaseMs: this.init.leaseMs ?? PULSE_LEASE_MS }, 'this node\'s event loop stalled beyond the pulse lease: its pulses stopped meanwhile, and members may have declared it dead')
  }

  /** The members pulses go to and are taken from (this node left out), with their keys. */
  members (members: ReadonlyArray<{ id: string, host: string, port: number }>): void {
    const targets: PulseTarget[] = []
    const keys = new Map<string, KeyObject | null>()
    for (const { id, host, port } of members) {
      if (id === this.init.self) continue
      const key = this.keys.has(id) ? this.keys.get(id) ?? null : publicKeyOf(id)
      keys.set(id, key)
      if (key !== null) targets.push({ id, host, port, key })
    }
    this.keys = keys
    this.targets = targets
    this.post({ type: 'members', members: targets })
  }

  get stats (): PulseStats {
    const read = (slot: number): number => Atomics.load(this.counters, slot)
    const { sent, received, taken, forged, stale, strangers, malformed, limited, lapsed } = PULSE_SLOTS
    return {
      sent: read(sent), received: read(received), taken: read(taken), forged: read(forged), stale: read(stale),
      strangers: read(strangers), malformed: read(malformed), limited: read(limited), lapsed: read(lapsed)
    }
  }

  private take (pulse: Pulse): void {
    try {
      this.init.onPulse(pulse)
    } catch (err) {
      this.init.log.error({ err, member: pulse.id }, 'taking a pulse failed')
    }
  }

  private post (message: ToPulseWorker): void {
    this.worker?.postMessage(message)
  }
}
