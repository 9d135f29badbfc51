// The event stream as a node serves it: the merged cluster feed for GET /v1/events,
// this node's own events for a member's GET /v1/internal/events, the member check of
// that route (a transfer ticket under the transfer key: the transfer channel's scheme,
// reused), and the query both routes take.

import type { Logger } from '../../logger.ts'
import { MeshdError } from '../errors.ts'
import { checkTicket, issueTicket, ReplayGuard, TicketRefused } from '../transfer/index.ts'
import type { EventBus } from './bus.ts'
import { MAX_MEMBER_READS, MAX_READERS, TICKET_RESOURCE } from './constants.ts'
import { ClusterFeed } from './feed.ts'
import type { MemberPeer } from './member-stream.ts'
import { matches } from './types.ts'
import type { EventFilter, EventInput, MeshEvent } from './types.ts'

export interface EventServiceInit {
  bus: EventBus
  /** The transfer key (transferKeyOf the cluster secret). */
  key: Buffer
  /** This node's id, named in the tickets it issues. */
  self: string
  /** The other members' APIs. */
  members: () => MemberPeer[]
  /** The address this node's client sockets bind to. */
  localAddress?: string
  log?: Logger
  /** Timings of the merged feed (tests; defaults MEMBER_TIMEOUT_MS, RESUBSCRIBE_MS). */
  timeoutMs?: number
  resubscribeMs?: number
}

/** A stream being served; stop() ends what feeds it. */
export interface Following { stop: () => void }

const SERVICE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/

export class EventService {
  readonly bus: EventBus
  private readonly init: EventServiceInit
  private readonly seen = new ReplayGuard()
  private readonly open = { readers: 0, members: 0 }

  constructor (init: EventServiceInit) {
    this.init = init
    this.bus = init.bus
  }

  /** The member check of the internal route: undefined when the ticket holds, else why not. */
  checkMember (header: unknown): string | undefined {
    try {
      checkTicket(this.init.key, header, 'pull', TICKET_RESOURCE, this.seen)
      return undefined
    } catch (err) {
      if (!(err instanceof TicketRefused)) throw err
      return `events: ${err.message}`
    }
  }

  /** Throws MESHD_TOO_MANY_STREAMS when this node serves as many streams of that kind as it allows (call before answering). */
  admit (kind: 'readers' | 'members'): void {
    const limit = kind === 'readers' ? MAX_READERS : MAX_MEMBER_READS
    if (this.open[kind] >= limit) throw new MeshdError('MESHD_TOO_MANY_STREAMS', `events: this node serves ${limit} ${kind === 'readers' ? 'event streams' : 'members\' reads of its events'} already; close one or read another node`)
  }

  /** Streams open now: readers of the merged feed, members reading this node's events. */
  get streams (): { readers: number, members: number } { return { ...this.open } }

  /** Every member's events, merged: history first, then live, until stop(). */
  follow (filter: EventFilter, send: (event: MeshEvent) => void, unreachable: (node: string) => void): Following {
    const { init } = this
    const feed = new ClusterFeed({
      bus: init.bus, members: init.members, filter, send, unreachable,
      ticket: () => issueTicket(init.key, 'pull', TICKET_RESOURCE, init.self).header,
      ...(init.localAddress === undefined ? {} : { localAddress: init.localAddress }),
      ...(init.log === undefined ? {} : { log: init.log }),
      ...(init.timeoutMs === undefined ? {} : { timeoutMs: init.timeoutMs }),
      ...(init.resubscribeMs === undefined ? {} : { resubscribeMs: init.resubscribeMs })
    })
    feed.start().catch((err: Error) => { init.log?.warn({ err: err.message }, 'event feed failed') })
    return this.counted('readers', () => { feed.stop() })
  }

  /** This node's own events: its history, a caught-up mark (undefined), then live, until stop(). */
  own (filter: EventFilter, send: (event: MeshEvent | undefined) => void): Following {
    const following = this.counted('members', this.bus.subscribe((event) => { if (matches(event, filter)) send(event) }))
    for (const event of this.bus.recent(filter)) send(event)
    send(undefined)
    return following
  }

  /** A stream counted from now until its (first) stop. */
  private counted (kind: 'readers' | 'members', stop: () => void): Following {
    this.open[kind]++
    let stopped = false
    return {
      stop: () => {
        if (stopped) return
        stopped = true
        this.open[kind]--
        stop()
      }
    }
  }
}

/** The filter of a query (`service`, `since` in ms since the epoch); a bad field is a 400 naming it. */
export function parseFilter (query: Record<string, unknown>): EventFilter {
  const filter: EventFilter = {}
  const { service, since } = query
  if (service !== undefined) {
    if (typeof service !== 'string' || !SERVICE_NAME.test(service)) throw new MeshdError('MESHD_INVALID_SPEC', 'service: expected a service name (lower-case letters, digits and -)', 'service')
    filter.service = service
  }
  if (since !== undefined) {
    const ms = typeof since === 'string' && /^\d{1,16}$/.test(since) ? Number(since) : NaN
    if (!Number.isSafeInteger(ms)) throw new MeshdError('MESHD_INVALID_SPEC', 'since: expected a time in milliseconds since the epoch', 'since')
    filter.since = ms
  }
  return filter
}

/** The other members' APIs, from the document's node records (this node and removed members left out). */
export function memberPeers (nodes: Record<string, { name: string, host: string, apiPort: number }>, self: string, tls: boolean, removed: (id: string) => boolean = () => false): MemberPeer[] {
  return Object.entries(nodes).filter(([id]) => id !== self && !removed(id)).map(([id, node]) => ({ id, name: node.name, host: node.host, port: node.apiPort, tls }))
}

/** The event of a member's new state, as the failure detector said it. */
export function memberEvent (state: 'alive' | 'suspect' | 'dead', member: string, incarnation: number | undefined): EventInput {
  const said = state === 'alive' ? 'is alive' : state === 'suspect' ? 'is suspected (no heartbeat for a while)' : 'is dead (no heartbeat)'
  return { kind: `member.${state}`, member, message: `${member} ${said}`, ...(incarnation === undefined ? {} : { incarnation }) }
}
