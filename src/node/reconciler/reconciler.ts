// The per-node reconciliation loop: desired slots (from the document) against the
// containers this node actually runs (from Docker). Events mark it dirty; a debounced
// tick plans and applies; a periodic full resync catches anything an event missed.

import { EventEmitter } from 'node:events'
import type { ClusterDocument, DocumentChange, Logger, ServiceSpec } from '../../crdt/index.ts'
import { RuntimeUnavailableError } from '../runtime/index.ts'
import type { ContainerEvent, ContainerInfo, Runtime } from '../runtime/index.ts'
import { HealthMonitor } from '../health/index.ts'
import type { ResolvedHealth } from '../health/index.ts'
import { plan } from './plan.ts'
import { specOf } from '../rollout.ts'
import { refusal, resolveRestart } from './restart.ts'
import type { DesiredSlot, StopReason } from './plan.ts'
import { allSlots } from './desired.ts'
import type { SlotAssignment } from './desired.ts'
import { SlotBackoff } from './backoff.ts'
import { DebouncedRunner } from './debounce.ts'
import { ReplicaPublisher } from './publish.ts'
import { stateFromDocker } from './tracked.ts'
import type { Tracked } from './tracked.ts'

export interface ReconcilerInit {
  nodeId: string
  nodeName: string
  document: ClusterDocument
  runtime: Runtime
  log: Logger
  resolveHealth: (spec: ServiceSpec) => ResolvedHealth | undefined
  assign?: SlotAssignment
  gapMs?: number
  maxDelayMs?: number
  resyncMs?: number
  /** How long a healthy replica stays up unpublished before it is stopped (UNPUBLISHED_BEFORE_STOP_MS). */
  drainMs?: number
  /** A slot of the service failed CRASH_LOOP_FAILURES times in a row here: try it on another node. */
  onCrashLoop?: (service: string) => void
}

/** Consecutive failures of a slot's replica on one node before the node asks to be avoided. */
export const CRASH_LOOP_FAILURES = 3

/** Time for the document change to reach every node's mesh (propagation p99 is tens of ms). */
export const UNPUBLISHED_BEFORE_STOP_MS = 1000

export interface ReconcilerEvents {
  'reconcile:done': [{ started: number, stopped: number, kept: number, waiting: number }]
}

/** Runs this node's slots on the Docker runtime; start() adopts existing containers. */
export class Reconciler extends EventEmitter<ReconcilerEvents> {
  private readonly init: ReconcilerInit
  private readonly log: Logger
  private readonly assign: SlotAssignment
  private readonly tracked = new Map<string, Tracked>()
  private readonly backoff = new SlotBackoff()
  private readonly runner: DebouncedRunner
  private readonly publisher: ReplicaPublisher
  private resyncTimer: NodeJS.Timeout | undefined
  private needsResync = true
  private engineDown = false
  private started = false
  private pendingSeq = 0
  /** The slots of the last tick: a state change between ticks republishes against them instead of placing again. */
  private lastDesired: DesiredSlot[] = []
  /** Failure times per slot and generation, for restart.maxAttempts. */
  private readonly failureTimes = new Map<string, number[]>()
  /** Slots (key@generation) the restart policy leaves alone, and why. */
  private readonly finished = new Map<string, string>()
  /** Replicas unpublished and waiting out UNPUBLISHED_BEFORE_STOP_MS before their removal. */
  private readonly drainTimers = new Set<NodeJS.Timeout>()

  constructor (init: ReconcilerInit) {
    super()
    this.init = init
    this.log = init.log
    this.assign = init.assign ?? allSlots
    this.runner = new DebouncedRunner(async () => { await this.tick() }, { gapMs: init.gapMs ?? 50, maxDelayMs: init.maxDelayMs ?? 1000 })
    this.publisher = new ReplicaPublisher({ nodeId: init.nodeId, nodeName: init.nodeName, document: init.document })
  }

  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    this.runner.start()
    this.init.document.on('change', this.onDocumentChange)
    this.init.runtime.watch(this.onContainerEvent)
    await this.tick()
    const resyncMs = this.init.resyncMs ?? 10_000
    // A random stagger keeps nodes from resyncing in lockstep.
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = setInterval(() => { this.needsResync = true; this.runner.mark() }, resyncMs)
    }, Math.floor(Math.random() * resyncMs))
  }

  /** Stops the loop and the health probes; containers keep running for the next start to adopt. */
  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.runner.stop()
    clearTimeout(this.resyncTimer)
    clearInterval(this.resyncTimer)
    this.init.document.off('change', this.onDocumentChange)
    // Replicas waiting to be removed keep running; the next start adopts and removes them.
    for (const timer of this.drainTimers) clearTimeout(timer)
    this.drainTimers.clear()
    for (const tracked of this.tracked.values()) tracked.monitor?.stop()
  }

  /** Asks for a reconciliation soon. */
  markDirty (): void {
    this.runner.mark()
  }

  private readonly onDocumentChange = (change: DocumentChange): void => {
    // Another node's replica turning healthy may complete a handoff of ours.
    if (change.services || change.nodes || change.drains || change.rollouts || (change.replicas && !change.local)) this.runner.mark()
  }

  private readonly onContainerEvent = (event: ContainerEvent): void => {
    if (event.action === 'reconnected') {
      this.needsResync = true
    } else {
      const tracked = this.tracked.get(event.id)
      // Our own starts emit events before run() returns their id; the periodic resync covers the rest.
      if (tracked === undefined) this.needsResync ||= !this.hasPendingStarts()
      // 'kill' and 'stop' only announce a signal; 'die' follows with the exit code.
      else if (tracked.stopping !== true && ['die', 'oom', 'destroy'].includes(event.action)) {
        const what = event.action === 'oom' ? 'ran out of memory' : event.exitCode === undefined ? 'exited' : `exited with code ${event.exitCode}`
        // An unhealthy replica that dies before the next tick stops it has failed once, not twice.
        if (tracked.state !== 'exited' && tracked.state !== 'unhealthy') this.markFailed(tracked, 'exited', `container ${what}`, event.exitCode ?? (event.action === 'oom' ? 137 : 1))
        if (event.action === 'destroy') this.untrack(tracked)
      }
    }
    this.runner.mark()
  }

  private async tick (): Promise<void> {
    if (!this.started) return
    try {
      if (this.needsResync) await this.resync()
    } catch (err) {
      this.noteEngineError(err)
      this.runner.mark(2000)
      return
    }
    const assigned = this.assign(this.init.document.services())
    const { hold } = assigned
    const desired = assigned.desired.map((slot) => this.finished.has(`${slot.key}@${slot.generation}`) ? { ...slot, finished: true } : slot)
    this.lastDesired = desired
    const now = Date.now()
    const live = [...this.tracked.values()].filter((t) => t.stopping !== true)
    const stopping = new Set([...this.tracked.values()].filter((t) => t.stopping === true).map((t) => t.key))
    const result = plan({ desired, replicas: live, now, retryAt: this.backoff.retryAt(), stopping, ...(hold === undefined ? {} : { hold }) })

    for (const { replica, reason } of result.stop) this.stopReplica(this.tracked.get(replica.id), reason)
    for (const slot of result.start) this.startReplica(slot)
    if (result.waiting.length > 0) this.runner.mark(Math.min(...result.waiting.map((w) => w.until)) - now)
    this.publish(desired)

    if (result.start.length + result.stop.length > 0) {
      this.log.info({ start: result.start.length, stop: result.stop.length, keep: result.keep.length, waiting: result.waiting.length }, 'reconciled')
    }
    this.emit('reconcile:done', { started: result.start.length, stopped: result.stop.length, kept: result.keep.length, waiting: result.waiting.length })
  }

  /** Reads every container of this node from Docker: adopts new ones, drops vanished ones. */
  private async resync (): Promise<void> {
    const containers = await this.init.runtime.list()
    this.needsResync = false
    if (this.engineDown) {
      this.engineDown = false
      this.log.info('docker engine reachable again')
    }
    const seen = new Set<string>()
    for (const info of containers) {
      seen.add(info.id)
      const tracked = this.tracked.get(info.id)
      if (tracked === undefined) this.adopt(info)
      else if (tracked.stopping !== true) {
        tracked.info = info
        if (stateFromDocker(info.state) === 'exited' && tracked.state !== 'exited') this.markFailed(tracked, 'exited', `container exited (code ${info.exitCode ?? '?'})`, info.exitCode ?? 1)
      }
    }
    for (const tracked of [...this.tracked.values()]) {
      if (tracked.pending !== true && tracked.stopping !== true && !seen.has(tracked.id)) {
        if (tracked.state !== 'exited') this.backoff.failure(tracked.key, Date.now())
        this.untrack(tracked)
      }
    }
  }

  private adopt (info: ContainerInfo): void {
    const tracked: Tracked = {
      id: info.id,
      key: `${info.service}#${info.slot}`,
      service: info.service,
      slot: info.slot,
      generation: info.generation,
      state: stateFromDocker(info.state),
      info
    }
    this.tracked.set(info.id, tracked)
    this.log.info({ container: info.id.slice(0, 12), slot: tracked.key, generation: info.generation, state: info.state }, 'adopted container')
    if (tracked.state === 'running') this.watchHealth(tracked)
  }

  private startReplica (slot: DesiredSlot): void {
    const record = this.init.document.service(slot.service)
    if (record === undefined) return
    const pending: Tracked = { ...slot, id: `pending:${++this.pendingSeq}`, state: 'starting', pending: true }
    this.tracked.set(pending.id, pending)
    const { runtime } = this.init
    // A slot a rollout has not moved yet runs the previous spec.
    const spec = specOf(record, slot.generation) ?? record.spec
    runtime.ensureImage(spec.image)
      .then(async () => await runtime.run({ spec, slot: slot.slot, generation: slot.generation }))
      .then((info) => {
        this.tracked.delete(pending.id)
        // A resync may have adopted the container while run() was still returning.
        this.tracked.get(info.id)?.monitor?.stop()
        const tracked: Tracked = { ...slot, id: info.id, state: stateFromDocker(info.state), info }
        this.tracked.set(info.id, tracked)
        this.log.info({ container: info.id.slice(0, 12), slot: slot.key, generation: slot.generation }, 'started replica')
        if (tracked.state === 'running') this.watchHealth(tracked)
        else this.markFailed(tracked, 'exited', `container exited right after start (code ${info.exitCode ?? '?'})`, info.exitCode ?? 1)
      })
      .catch((err: Error) => {
        this.tracked.delete(pending.id)
        if (err instanceof RuntimeUnavailableError) {
          this.noteEngineError(err)
          this.needsResync = true
          this.runner.mark(2000)
          return
        }
        const retryAt = this.backoff.failure(slot.key, Date.now())
        this.publisher.noteStartFailure(slot, err.message)
        this.log.warn({ slot: slot.key, err: err.message, retryInMs: retryAt - Date.now() }, 'replica failed to start')
      })
      .finally(() => { this.runner.mark() })
  }

  private stopReplica (tracked: Tracked | undefined, reason: StopReason): void {
    if (tracked === undefined || tracked.stopping === true) return
    tracked.stopping = true
    tracked.monitor?.stop()
    this.log.info({ container: tracked.id.slice(0, 12), slot: tracked.key, generation: tracked.generation, reason }, 'removing replica')
    // A broken replica serves nobody: no grace period. A healthy one gets time to finish
    // requests, and first a moment unpublished (it is, from this tick on) so the mesh on
    // every node stops sending it new connections before it stops.
    const broken = reason === 'exited' || reason === 'unhealthy' || reason === 'failed'
    const remove = (): void => {
      this.init.runtime.remove(tracked.id, { graceSeconds: broken ? 0 : undefined })
        .then(() => { this.untrack(tracked) })
        .catch((err: Error) => {
          tracked.stopping = false
          if (err instanceof RuntimeUnavailableError) this.noteEngineError(err)
          else this.log.warn({ container: tracked.id.slice(0, 12), err: err.message }, 'could not remove replica')
          this.runner.mark(2000)
        })
        .finally(() => { this.runner.mark() })
    }
    const drainMs = broken || tracked.state !== 'healthy' ? 0 : this.init.drainMs ?? UNPUBLISHED_BEFORE_STOP_MS
    if (drainMs === 0) {
      remove()
      return
    }
    const timer = setTimeout(() => {
      this.drainTimers.delete(timer)
      if (this.started) remove()
    }, drainMs)
    this.drainTimers.add(timer)
  }

  private watchHealth (tracked: Tracked): void {
    const check = this.healthCheckOf(tracked)
    if (check === undefined) {
      // No health check: a running container is ready, as in Docker without HEALTHCHECK.
      this.setState(tracked, 'healthy')
      return
    }
    tracked.monitor = new HealthMonitor({
      check,
      endpoint: (port) => tracked.info?.ports.find((p) => p.target === port)?.endpoint,
      exec: async (cmd, timeoutMs) => await this.init.runtime.exec(tracked.id, cmd, { timeoutMs }),
      onChange: (state, detail) => {
        if (state === 'unhealthy') this.markFailed(tracked, 'unhealthy', `health check failed: ${detail}`)
        else this.setState(tracked, 'healthy')
      },
      log: this.log.child({ container: tracked.id.slice(0, 12) })
    })
    tracked.monitor.start()
  }

  /** The health check of the spec the replica was started with (the previous one during an update). */
  private healthCheckOf (tracked: Tracked): ResolvedHealth | undefined {
    const record = this.init.document.service(tracked.service)
    if (record === undefined) return undefined
    return this.init.resolveHealth(specOf(record, tracked.generation) ?? record.spec)
  }

  private setState (tracked: Tracked, state: 'healthy'): void {
    if (tracked.stopping === true || tracked.state === state) return
    tracked.state = state
    tracked.error = undefined
    this.backoff.healthy(tracked.key, Date.now())
    this.log.info({ container: tracked.id.slice(0, 12), slot: tracked.key }, 'replica healthy')
    this.publish(this.lastDesired)
    this.runner.mark()
  }

  /** A replica exited (with `exitCode`) or turned unhealthy (no exit code): replaced, or left as the restart policy says. */
  private markFailed (tracked: Tracked, state: 'exited' | 'unhealthy', reason: string, exitCode?: number): void {
    const now = Date.now()
    tracked.state = state
    tracked.error = reason
    tracked.monitor?.stop()
    const attempt = `${tracked.key}@${tracked.generation}`
    const times = [...(this.failureTimes.get(attempt) ?? []), now].slice(-1000)
    this.failureTimes.set(attempt, times)
    const record = this.init.document.service(tracked.service)
    const policy = resolveRestart(record === undefined ? undefined : specOf(record, tracked.generation) ?? record.spec)
    const refused = refusal(policy, state === 'exited' ? exitCode : undefined, times, now)
    if (refused !== undefined) {
      this.finished.set(`${tracked.key}@${tracked.generation}`, refused)
      tracked.error = `${reason}; ${refused}`
    }
    this.publisher.noteReplicaFailure(tracked.key, { container: tracked.id, state, error: tracked.error, at: now, generation: tracked.generation })
    this.publish(this.lastDesired)
    if (refused === undefined) {
      const retryAt = this.backoff.failure(tracked.key, now, policy.delayMs)
      this.log.warn({ container: tracked.id.slice(0, 12), slot: tracked.key, reason, retryInMs: retryAt - now }, 'replica failed')
      if (this.backoff.count(tracked.key) >= CRASH_LOOP_FAILURES) this.init.onCrashLoop?.(tracked.service)
    } else {
      this.log.warn({ container: tracked.id.slice(0, 12), slot: tracked.key, reason, policy: refused }, 'replica failed; not restarting it')
    }
    this.runner.mark()
  }

  private hasPendingStarts (): boolean {
    for (const tracked of this.tracked.values()) if (tracked.pending === true) return true
    return false
  }

  private untrack (tracked: Tracked): void {
    tracked.monitor?.stop()
    this.tracked.delete(tracked.id)
  }

  private publish (desired: DesiredSlot[]): void {
    const desiredKeys = new Set(desired.map((slot) => slot.key))
    for (const key of this.backoff.retryAt().keys()) if (!desiredKeys.has(key)) this.backoff.forget(key)
    const wanted = new Set(desired.map((slot) => `${slot.key}@${slot.generation}`))
    for (const key of this.failureTimes.keys()) if (!wanted.has(key)) this.failureTimes.delete(key)
    for (const key of this.finished.keys()) if (!wanted.has(key)) this.finished.delete(key)
    const generations = new Map(desired.map((slot) => [slot.key, slot.generation]))
    this.publisher.publish([...this.tracked.values()].filter((t) => t.stopping !== true), desiredKeys, generations)
  }

  private noteEngineError (err: unknown): void {
    if (!this.engineDown) {
      this.engineDown = true
      this.log.warn({ err: (err as Error).message }, 'docker engine unreachable; retrying')
    }
  }
}
