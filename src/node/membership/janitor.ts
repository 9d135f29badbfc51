// Keeps the member list honest without a leader: once a second, this node writes the
// removals the cluster's decisions give it (cluster/membership.ts) — the dead members
// it supersedes, and the long-dead ones it is the one to reap.

import type { ClusterDocument } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import { reapable, stateOf, superseded } from '../cluster/index.ts'
import type { ClusterView } from '../cluster/index.ts'
import { JANITOR_MS } from './constants.ts'
import { removeMember } from './remove.ts'

export interface JanitorInit {
  document: ClusterDocument
  view: () => ClusterView
  log: Logger
  /** Members dead this long are reaped. */
  reapAfterMs: number
  intervalMs?: number
}

export class MemberJanitor {
  private readonly init: JanitorInit
  /** When this node first saw each member dead. */
  private readonly deadSince = new Map<string, number>()
  private timer: NodeJS.Timeout | undefined

  constructor (init: JanitorInit) {
    this.init = init
  }

  start (): void {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => { this.tick() }, this.init.intervalMs ?? JANITOR_MS)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /** One pass: note who is dead since when, then write the removals due. */
  tick (): void {
    const view = this.init.view()
    for (const id of Object.keys(view.nodes)) {
      if (stateOf(view, id) !== 'dead') this.deadSince.delete(id)
      else if (!this.deadSince.has(id)) this.deadSince.set(id, view.now)
    }
    for (const id of this.deadSince.keys()) if (view.nodes[id] === undefined) this.deadSince.delete(id)
    for (const { id, record } of [...superseded(view), ...reapable(view, this.deadSince, this.init.reapAfterMs)]) {
      try {
        removeMember(this.init.document, id, record)
        this.init.log.warn({ member: id, name: record.name, reason: record.reason }, record.reason === 'superseded'
          ? 'this node took the name and address of a dead member: that member is removed'
          : 'a member dead for too long is removed')
      } catch (err) {
        this.init.log.error({ err: (err as Error).message, member: id }, 'could not write a removal')
      }
    }
  }
}
