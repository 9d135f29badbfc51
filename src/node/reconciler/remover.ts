// Removing this node's replicas. A broken replica serves nobody: it goes at once, with
// no grace period. A healthy one first stays up unpublished for a moment (the record
// is gone from this tick on), so the mesh on every node stops sending it new
// connections before it stops, and then gets its spec's stopGracePeriod.

import type { ServiceRecord } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import { hasVolumes, releaseOf } from '../cluster/index.ts'
import { RuntimeUnavailableError } from '../runtime/index.ts'
import { stopGraceSeconds } from '../spec/index.ts'
import type { Runtime } from '../runtime/index.ts'
import type { StopReason } from './plan.ts'

/** What a replica's spec says about its stop: whether it holds volume data, and the seconds it gets before SIGKILL. */
export interface StopTerms {
  stateful?: boolean
  /** Default: the runtime's DEFAULT_GRACE_SECONDS. */
  graceSeconds?: number
}
import type { Tracked } from './tracked.ts'

/** How a replica of `record` running `generation` stops: from the release it runs (a slot a rollout has not moved yet runs the previous spec). */
export function stopTermsOf (record: ServiceRecord | undefined, generation: number): StopTerms {
  if (record === undefined) return {}
  const { spec } = releaseOf(record, generation)
  const graceSeconds = stopGraceSeconds(spec)
  return { stateful: hasVolumes(spec), ...(graceSeconds === undefined ? {} : { graceSeconds }) }
}

export interface RemoverInit {
  runtime: Runtime
  log: Logger
  /** How long a healthy replica stays up unpublished before it is stopped. */
  drainMs: number
  /** The container is gone. */
  removed: (tracked: Tracked) => void
  /** The engine did not answer; the loop tries again later. */
  engineDown: (err: Error) => void
  /** A removal ended, well or not: the loop looks again. */
  settled: () => void
}

export class Remover {
  private readonly init: RemoverInit
  /** Replicas unpublished and waiting out drainMs before their removal. */
  private readonly timers = new Set<NodeJS.Timeout>()
  private stopped = false

  constructor (init: RemoverInit) {
    this.init = init
  }

  /**
   * Starts removing a replica (once); the reason decides whether it drains first. A
   * replica with volume data (`stateful`) never does: no other replica can serve its
   * slot meanwhile, and its successor waits for it to stop. A broken one gets no grace.
   */
  remove (tracked: Tracked, reason: StopReason, terms: StopTerms = {}): void {
    const { stateful = false } = terms
    if (tracked.stopping === true) return
    this.stopped = false
    tracked.stopping = true
    tracked.monitor?.stop()
    this.init.log.info({ container: tracked.id.slice(0, 12), slot: tracked.key, generation: tracked.generation, reason }, 'removing replica')
    const broken = reason === 'exited' || reason === 'unhealthy' || reason === 'failed'
    const drainMs = broken || stateful || tracked.state !== 'healthy' ? 0 : this.init.drainMs
    if (drainMs === 0) {
      this.now(tracked, broken ? 0 : terms.graceSeconds)
      return
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      if (!this.stopped) this.now(tracked, broken ? 0 : terms.graceSeconds)
    }, drainMs)
    this.timers.add(timer)
  }

  /** Cancels the removals still draining: those replicas keep running, and the next start adopts and removes them. */
  stop (): void {
    this.stopped = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
  }

  private now (tracked: Tracked, graceSeconds: number | undefined): void {
    const { runtime, log } = this.init
    runtime.remove(tracked.id, { graceSeconds })
      .then(() => {
        this.init.removed(tracked)
        this.init.settled()
      })
      .catch((err: Error) => {
        tracked.stopping = false
        if (err instanceof RuntimeUnavailableError) this.init.engineDown(err)
        else log.warn({ container: tracked.id.slice(0, 12), err: err.message }, 'could not remove replica')
        this.init.settled()
      })
  }
}
