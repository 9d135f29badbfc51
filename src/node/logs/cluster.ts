// A service's log from any node: this node reads its own replicas (member.ts) and asks
// every other member for theirs through the transfer channel (resource
// logs/SERVICE/FOLLOW/TAIL/SINCE: the member-to-member ticket, the body sealed in frames,
// as for volume data), then merges them (merge.ts). A member the failure detector calls
// dead is not asked; one that does not answer within MEMBER_DEADLINE_MS is dropped; both
// are reported as unreachable, so a down node costs at most that long, never a hang.

import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../../logger.ts'
import type { ClusterView } from '../cluster/index.ts'
import type { Runtime } from '../runtime/index.ts'
import type { TransferPeer } from '../transfer/index.ts'
import { HOLD_MAX_BYTES, HOLD_MS, KEEPALIVE_MS, MEMBER_DEADLINE_MS, REJOIN_MS, RESOURCE_KIND } from './constants.ts'
import { memberLogs } from './member.ts'
import type { MemberLogsInit } from './member.ts'
import { mergeLogs } from './merge.ts'
import type { LogSource } from './merge.ts'
import { logResource, parseLogResource } from './query.ts'
import { inTimeOrder } from './reorder.ts'
import type { LogItem, LogQuery } from './types.ts'
import { clientLines, memberItems, memberLine, readableOf } from './wire.ts'

/** The transfer channel as the logs use it: serve this node's, pull a member's. */
export interface LogTransfer {
  serve: (kind: string, open: (resource: string, from: string) => Promise<Readable | undefined>) => void
  pull: (peer: TransferPeer, resource: string, options?: { signal?: AbortSignal }) => Promise<Readable>
}

export interface ClusterLogsInit extends MemberLogsInit {
  /** This node's id. */
  self: string
  view: () => ClusterView
  transfer: LogTransfer
  /** Members serve their API over HTTPS. */
  tls: boolean
  /** How long a member may take to answer (default MEMBER_DEADLINE_MS). */
  deadlineMs?: number
  /** Following, how often members not followed are looked for (default REJOIN_MS). */
  rejoinMs?: number
  /** Following, how long a live line is held to be put in time order (default HOLD_MS). */
  holdMs?: number
}

/**
 * A member is followed 'now', or was until `since` (ms) and has been `down` since (or
 * restarted: its record's startedAt is no longer `startedAt`); a member never followed is absent.
 */
type Followed = 'now' | { since: number, down: boolean, startedAt?: number }

/** The logs of a cluster's services, as any node serves them; it serves this node's part to the others from construction. */
export class ClusterLogs {
  private readonly init: ClusterLogsInit

  constructor (init: ClusterLogsInit) {
    this.init = init
    init.transfer.serve(RESOURCE_KIND, async (resource) => this.memberStream(resource))
  }

  /** `service`'s log across the cluster as newline-delimited JSON (wire.ts clientLines); destroy it to stop. */
  stream (service: string, query: LogQuery): Readable {
    const controller = new AbortController()
    const followed = new Map<string, Followed>()
    const sources = this.sources(service, query, controller.signal, followed)
    const more = query.follow ? this.rejoining(service, query, controller.signal, followed) : undefined
    const merged = mergeLogs(sources, {
      follow: query.follow, deadlineMs: this.init.deadlineMs ?? MEMBER_DEADLINE_MS, keepaliveMs: this.init.keepaliveMs ?? KEEPALIVE_MS, ...(more === undefined ? {} : { more })
    })
    const ordered = query.follow ? inTimeOrder(merged, this.init.holdMs ?? HOLD_MS, HOLD_MAX_BYTES) : merged
    return readableOf(clientLines(ordered, query.timestamps, query.follow), controller)
  }

  /** A member's request for this node's part (undefined: not a log resource, 404). */
  private memberStream (resource: string): Readable | undefined {
    const asked = parseLogResource(resource)
    if (asked === undefined) return undefined
    const controller = new AbortController()
    return readableOf(wireLines(memberLogs(this.init, asked.service, asked.query, controller.signal)), controller)
  }

  /** One source per member, this node's own read directly, in the order of their names; `followed` says which are followed. */
  private sources (service: string, query: LogQuery, signal: AbortSignal, followed: Map<string, Followed>): LogSource[] {
    const view = this.init.view()
    const members = Object.entries(view.nodes).sort(([, a], [, b]) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    return members.map(([id, node]) => {
      if (id === this.init.self) {
        const own = new AbortController()
        return { name: node.name, items: memberLogs(this.init, service, query, AbortSignal.any([signal, own.signal])), close: () => { own.abort() } }
      }
      if (view.states[id] === 'dead') {
        followed.set(id, { since: Date.now(), down: true })
        return { name: node.name, items: lost('the failure detector says it is dead'), close: () => {} }
      }
      return this.remoteSource(id, node, logResource(service, query), signal, followed)
    })
  }

  /**
   * Following: members not followed now that the failure detector calls alive: joined
   * since the start, or lost and either not alive for a while since or started again
   * (a restart quicker than the detector's suspicion; one that refuses while alive is not
   * asked again and again), asked every REJOIN_MS for their
   * lines since they were lost (or since the start), so replicas starting on them show too.
   */
  private async * rejoining (service: string, query: LogQuery, signal: AbortSignal, followed: Map<string, Followed>): AsyncGenerator<LogSource> {
    const start = Date.now()
    while (!signal.aborted) {
      try {
        await sleep(this.init.rejoinMs ?? REJOIN_MS, undefined, { signal })
      } catch {
        return
      }
      const view = this.init.view()
      for (const [id, node] of Object.entries(view.nodes)) {
        const was = followed.get(id) ?? { since: start, down: true }
        if (id === this.init.self || was === 'now') continue
        if (view.states[id] !== 'alive' || (was.startedAt !== undefined && node.startedAt !== was.startedAt)) was.down = true
        if (view.states[id] !== 'alive' || !was.down) continue
        const resource = logResource(service, { follow: true, timestamps: true, since: Math.max(was.since, query.since ?? 0) })
        yield this.remoteSource(id, node, resource, signal, followed)
      }
    }
  }

  /** A member's part, pulled; followed 'now' until it is closed (lost, ended, or the end of the answer). */
  private remoteSource (id: string, node: { name: string, host: string, apiPort: number, startedAt: number }, resource: string, signal: AbortSignal, followed: Map<string, Followed>): LogSource {
    followed.set(id, 'now')
    const own = new AbortController()
    const peer: TransferPeer = { host: node.host, port: node.apiPort, name: node.name, ...(this.init.tls ? { tls: true } : {}) }
    return {
      name: node.name,
      items: this.remote(peer, resource, AbortSignal.any([signal, own.signal])),
      close: () => {
        if (!own.signal.aborted) followed.set(id, { since: Date.now(), down: false, startedAt: node.startedAt })
        own.abort()
      }
    }
  }

  private async * remote (peer: TransferPeer, resource: string, signal: AbortSignal): AsyncGenerator<LogItem> {
    const body = await this.init.transfer.pull(peer, resource, { signal }).catch((err: unknown) => { throw new Error(reasonOf(err)) })
    try {
      yield * memberItems(body)
    } finally {
      body.destroy()
    }
  }
}

/** Why a member could not be asked, without the transfer's "transfer of RESOURCE from NODE:" (the answer names the node). */
function reasonOf (err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const cause = (err as { cause?: unknown }).cause
  return cause instanceof Error ? cause.message : err.message
}

async function * lost (why: string): AsyncGenerator<LogItem> {
  throw new Error(why)
}

async function * wireLines (items: AsyncIterable<LogItem>): AsyncGenerator<string> {
  for await (const item of items) yield memberLine(item)
}
