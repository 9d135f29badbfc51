// Runs on every node and advances the rollouts of the services this node coordinates
// (cluster/rollout-step.ts decides each step; this writes it). The coordinator's
// progress lives in the document, so when it dies the next coordinator resumes.

import type { ClusterDocument, RolloutRecord } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import { coordinatedRollouts, inProgress, placeCluster, placedSlots, rolloutStep } from '../cluster/index.ts'
import type { ClusterView, RolloutStep } from '../cluster/index.ts'
import { noEvents } from '../events/index.ts'
import type { Events } from '../events/index.ts'
import { ROLLOUT_TICK_MS } from './constants.ts'

export interface RolloutDriverInit {
  document: ClusterDocument
  /** The cluster as this node sees it now. */
  view: () => ClusterView
  log: Logger
  /** Where the rollout's events go (progress, done, rolled back, paused): the coordinator writes each step once. */
  events?: Events
  tickMs?: number
}

export class RolloutDriver {
  private readonly init: RolloutDriverInit
  private timer: NodeJS.Timeout | undefined

  constructor (init: RolloutDriverInit) {
    this.init = init
  }

  start (): void {
    if (this.timer !== undefined) return
    this.init.document.on('change', this.onChange)
    this.timer = setInterval(() => { this.tick() }, this.init.tickMs ?? ROLLOUT_TICK_MS)
  }

  stop (): void {
    this.init.document.off('change', this.onChange)
    clearInterval(this.timer)
    this.timer = undefined
  }

  private readonly onChange = (change: { services: boolean, replicas: boolean, rollouts: boolean }): void => {
    if (change.services || change.replicas || change.rollouts) this.tick()
  }

  /** One pass over every rollout in progress that this node coordinates. */
  tick (): void {
    // Most ticks find no rollout at all: look before taking a whole view.
    const { document } = this.init
    const services = document.services()
    const rollouts = document.rollouts()
    if (!Object.keys(rollouts).some((name) => services[name] !== undefined && inProgress(services[name], rollouts[name]))) return
    const view = this.init.view()
    const names = coordinatedRollouts(view)
    if (names.length === 0) return
    const placement = placeCluster(view)
    for (const name of names) {
      const record = view.services[name]!
      const rollout = view.rollouts[name]!
      this.apply(name, rollout, rolloutStep(view, record, rollout, placedSlots(placement, name)))
    }
  }

  private apply (name: string, before: RolloutRecord, step: RolloutStep): void {
    const { document, log } = this.init
    const events = this.init.events ?? noEvents
    const fields = { service: name, generation: before.generation }
    const what = before.rollback === true ? 'rollback' : 'update'
    switch (step.action) {
      case 'rollback':
        log.warn({ ...fields, reason: step.reason }, 'update failed: rolling back')
        document.transact(() => {
          document.putService(name, step.record)
          document.putRollout(name, step.rollout)
        })
        events.emit({ kind: 'rollout.rolledback', ...fields, reason: step.reason, message: `${name}: update to generation ${before.generation} failed (${step.reason}); rolling back` })
        return
      case 'pause':
        log.warn({ ...fields, reason: step.reason }, 'update paused')
        if (this.write(name, before, step.rollout) && before.phase !== 'paused') events.emit({ kind: 'rollout.paused', ...fields, reason: step.reason, message: `${name}: ${what} paused (${step.reason})` })
        return
      case 'complete':
        log.info({ ...fields, failures: step.rollout.failures }, before.rollback === true ? 'rollback completed' : 'update completed')
        if (this.write(name, before, step.rollout)) events.emit({ kind: 'rollout.done', ...fields, rollback: before.rollback === true, failures: step.rollout.failures, message: `${name}: ${what} to generation ${before.generation} done` })
        return
      case 'batch':
        log.info({ ...fields, slots: step.slots }, 'updating slots')
        if (this.write(name, before, step.rollout)) {
          const total = step.rollout.updated.length
          events.emit({ kind: 'rollout.progress', ...fields, slots: step.slots, updated: total, message: `${name}: ${what} moving slots ${step.slots.join(', ')} (${total} updated)` })
        }
        return
      case 'wait':
        break
    }
    this.write(name, before, step.rollout)
  }

  /** Writes the rollout when something other than its timestamp changed; true when it did. */
  private write (name: string, before: RolloutRecord, after: RolloutRecord): boolean {
    const { updatedAt: _a, ...a } = before
    const { updatedAt: _b, ...b } = after
    if (JSON.stringify(a) === JSON.stringify(b)) return false
    this.init.document.putRollout(name, after)
    return true
  }
}
