// The per-node reconciliation loop: desired slots (from the document) against the
// containers this node actually runs (from Docker). Events mark it dirty; a debounced
// tick plans and applies; a periodic full resync catches anything an event missed.

import { EventEmitter } from 'node:events'
import type { ClusterDocument, DocumentChange, ServiceRecord, ServiceSpec } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import { releaseOf, specOf } from '../cluster/index.ts'
import type { DesiredSlot, NodeAssignment } from '../cluster/index.ts'
import { RuntimeUnavailableError } from '../runtime/index.ts'
import type { ContainerEvent, ContainerInfo, Runtime } from '../runtime/index.ts'
import type { ReconcilerInit } from './init.ts'

export type { ReconcilerInit }
import type { ResolvedHealth } from '../health/index.ts'
import { watchReplica } from './health-watch.ts'
import { ENGINE_RETRY_MS, RESYNC_MS, TICK_GAP_MS, TICK_MAX_DELAY_MS, UNPUBLISHED_BEFORE_STOP_MS } from './constants.ts'
import { plan } from './plan.ts'
import type { StopReason } from './plan.ts'
import { DebouncedRunner } from './debounce.ts'
import { ReplicaPublisher } from './publish.ts'
import { Remover, stopTermsOf } from './remover.ts'
import { stopGraceSeconds } from '../spec/index.ts'
import { Supervisor } from './supervisor.ts'
import { ReplicaEvents } from './events.ts'
import { exitOf, stateFromDocker, trackedOf } from './tracked.ts'
import type { Tracked } from './tracked.ts'

export interface ReconcilerEvents {
  'reconcile:done': [{ started: number, stopped: number, kept: number, waiting: number }]
}

/** Runs this node's slots on the Docker runtime; start() adopts existing containers. */
export class Reconciler extends EventEmitter<ReconcilerEvents> {
  private readonly init: ReconcilerInit
  private readonly log: Logger
  private readonly tracked = new Map<string, Tracked>()
  private readonly supervisor = new Supervisor()
  private readonly runner: DebouncedRunner
  private readonly publisher: ReplicaPublisher
  private resyncTimer: NodeJS.Timeout | undefined
  private needsResync = true
  private engineDown = false
  private started = false
  private pendingSeq = 0
  /** The slots of the last tick: a state change between ticks republishes against them instead of placing again. */
  private lastDesired: DesiredSlot[] = []
  private readonly remover: Remover
  private readonly events: ReplicaEvents
  private unwatch: (() => Promise<void>) | undefined

  constructor (init: ReconcilerInit) {
    super()
    this.init = init
    this.log = init.log
    this.runner = new DebouncedRunner(async () => { await this.tick() }, { gapMs: init.gapMs ?? TICK_GAP_MS, maxDelayMs: init.maxDelayMs ?? TICK_MAX_DELAY_MS })
    this.publisher = new ReplicaPublisher({ nodeId: init.nodeId, nodeName: init.nodeName, document: init.document })
    this.events = new ReplicaEvents(init.events, init.nodeId, init.document)
    this.remover = new Remover({
      runtime: init.runtime,
      log: init.log,
      drainMs: init.drainMs ?? UNPUBLISHED_BEFORE_STOP_MS,
      removed: (tracked) => { this.untrack(tracked); this.events.stopped(tracked, tracked.stopReason) },
      engineDown: (err) => { this.noteEngineError(err) },
      settled: () => { this.runner.mark() }
    })
  }

  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    this.runner.start()
    this.init.document.on('change', this.onDocumentChange)
    this.unwatch = this.init.runtime.watch(this.onContainerEvent)
    await this.tick()
    const resyncMs = this.init.resyncMs ?? RESYNC_MS
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
    this.remover.stop()
    await this.unwatch?.()
    this.unwatch = undefined
    for (const tracked of this.tracked.values()) tracked.monitor?.stop()
  }

  /** The container running slot `key` here (running or healthy), if any. */
  containerOf (key: string): string | undefined {
    return [...this.tracked.values()].find((t) => t.key === key && t.pending !== true && t.stopping !== true && (t.state === 'running' || t.state === 'healthy'))?.id
  }

  /** Asks for a reconciliation soon. */
  markDirty (): void {
    this.runner.mark()
  }

  private readonly onDocumentChange = (change: DocumentChange): void => {
    // Another node's replica turning healthy may complete a handoff of ours.
    if (change.services || change.nodes || change.drains || change.rollouts || change.removals || (change.replicas && !change.local)) this.runner.mark()
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
        const exit = exitOf(event)
        // An unhealthy replica that dies before the next tick stops it has failed once, not twice.
        if (tracked.state !== 'exited' && tracked.state !== 'unhealthy') this.markFailed(tracked, 'exited', exit.reason, exit.code)
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
      this.runner.mark(ENGINE_RETRY_MS)
      return
    }
    const assigned = this.init.assign()
    const desired = this.supervisor.mark(assigned.desired.filter((slot) => this.init.volumes?.paused(slot.key) !== true))
    this.lastDesired = desired
    const now = Date.now()
    const live = [...this.tracked.values()].filter((t) => t.stopping !== true)
    const stopping = new Set([...this.tracked.values()].filter((t) => t.stopping === true).map((t) => t.key))
    const result = plan({ desired, replicas: live, now, retryAt: this.supervisor.retryAt(), stopping, hold: assigned.hold })

    for (const { replica, reason } of result.stop) {
      const tracked = this.tracked.get(replica.id)
      if (tracked !== undefined) this.remover.remove(Object.assign(tracked, { stopReason: reason }), reason, stopTermsOf(this.init.service(tracked.service), tracked.generation))
    }
    for (const slot of result.start) this.startReplica(slot)
    if (result.waiting.length > 0) this.runner.mark(Math.min(...result.waiting.map((w) => w.until)) - now)
    this.publish(desired)
    this.init.volumes?.settle(desired, new Set([...this.tracked.values()].map((t) => t.key)))

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
        if (tracked.state !== 'exited') this.supervisor.startFailed(tracked.key, Date.now())
        this.untrack(tracked)
      }
    }
  }

  private adopt (info: ContainerInfo): void {
    const tracked = trackedOf(info)
    this.tracked.set(info.id, tracked)
    this.log.info({ container: info.id.slice(0, 12), slot: tracked.key, generation: info.generation, state: info.state }, 'adopted container')
    if (tracked.state === 'running') this.watchHealth(tracked)
  }

  private startReplica (slot: DesiredSlot): void {
    const record = this.init.service(slot.service)
    if (record === undefined) return
    const pending: Tracked = { ...slot, id: `pending:${++this.pendingSeq}`, state: 'starting', pending: true }
    this.tracked.set(pending.id, pending)
    const { runtime } = this.init
    // A slot a rollout has not moved yet runs the previous spec, and the previous image.
    const { spec, imageId } = releaseOf(record, slot.generation)
    runtime.ensureImage(spec.image, { imageId })
      .then(async () => { await this.init.volumes?.prepare(slot, record) })
      .then(async () => await runtime.run({ spec, slot: slot.slot, generation: slot.generation, imageId, specHash: slot.specHash, files: this.init.files?.(spec), stopGraceSeconds: stopGraceSeconds(spec) }))
      .then((info) => {
        this.tracked.delete(pending.id)
        // A resync may have adopted the container while run() was still returning.
        this.tracked.get(info.id)?.monitor?.stop()
        const tracked: Tracked = { ...slot, id: info.id, state: stateFromDocker(info.state), info }
        this.tracked.set(info.id, tracked)
        this.log.info({ container: info.id.slice(0, 12), slot: slot.key, generation: slot.generation }, 'started replica')
        this.events.started(tracked, this.init.nodeName)
        this.init.volumes?.started(slot)
        if (tracked.state === 'running') this.watchHealth(tracked)
        else this.markFailed(tracked, 'exited', `container exited right after start (code ${info.exitCode ?? '?'})`, info.exitCode ?? 1)
      })
      .catch((err: Error) => {
        this.tracked.delete(pending.id)
        if (err instanceof RuntimeUnavailableError) {
          this.noteEngineError(err)
          this.needsResync = true
          this.runner.mark(ENGINE_RETRY_MS)
          return
        }
        const retryAt = this.supervisor.startFailed(slot.key, Date.now())
        this.publisher.noteStartFailure(slot, err.message)
        this.log.warn({ slot: slot.key, err: err.message, retryInMs: retryAt - Date.now() }, 'replica failed to start')
      })
      .finally(() => { this.runner.mark() })
  }

  /** Probes a running replica with the health check of the spec it was started with (the previous one during an update). */
  private watchHealth (tracked: Tracked): void {
    const record = this.init.service(tracked.service)
    const check = record === undefined ? undefined : this.init.resolveHealth(specOf(record, tracked.generation) ?? record.spec)
    tracked.monitor = watchReplica(tracked, check, {
      runtime: this.init.runtime,
      log: this.log,
      healthy: () => { this.setState(tracked, 'healthy') },
      unhealthy: (detail) => { this.markFailed(tracked, 'unhealthy', `health check failed: ${detail}`) }
    })
  }

  private setState (tracked: Tracked, state: 'healthy'): void {
    if (tracked.stopping === true || tracked.state === state) return
    tracked.state = state
    tracked.error = undefined
    this.supervisor.healthy(tracked.key, Date.now())
    this.log.info({ container: tracked.id.slice(0, 12), slot: tracked.key }, 'replica healthy')
    this.events.healthy(tracked)
    this.publish(this.lastDesired)
    this.runner.mark()
  }

  /** A replica exited (with `exitCode`) or turned unhealthy (no exit code): replaced, or left as the restart policy says. */
  private markFailed (tracked: Tracked, state: 'exited' | 'unhealthy', reason: string, exitCode?: number): void {
    const now = Date.now()
    tracked.state = state
    tracked.error = reason
    tracked.monitor?.stop()
    const record = this.init.service(tracked.service)
    const spec = record === undefined ? undefined : specOf(record, tracked.generation) ?? record.spec
    const verdict = this.supervisor.failed(tracked, spec, state === 'exited' ? exitCode : undefined, now)
    if (verdict.refused !== undefined) tracked.error = `${reason}; ${verdict.refused}`
    this.events.failed(tracked, state, reason, exitCode)
    this.publisher.noteReplicaFailure(tracked.key, { container: tracked.id, state, error: tracked.error, at: now, generation: tracked.generation })
    this.publish(this.lastDesired)
    if (verdict.refused === undefined) {
      this.log.warn({ container: tracked.id.slice(0, 12), slot: tracked.key, reason, retryInMs: (verdict.retryAt ?? now) - now }, 'replica failed')
      if (verdict.crashLoop) this.publisher.avoid(tracked.service, now, this.log)
    } else {
      this.log.warn({ container: tracked.id.slice(0, 12), slot: tracked.key, reason, policy: verdict.refused }, 'replica failed; not restarting it')
    }
    this.runner.mark()
  }

  private hasPendingStarts (): boolean {
    return [...this.tracked.values()].some((tracked) => tracked.pending === true)
  }

  private untrack (tracked: Tracked): void {
    tracked.monitor?.stop()
    this.tracked.delete(tracked.id)
  }

  private publish (desired: DesiredSlot[]): void {
    const desiredKeys = new Set(desired.map((slot) => slot.key))
    this.supervisor.keepOnly(desired)
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
