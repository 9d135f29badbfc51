// One member's part of a service's log: the lines of its own replicas of the service,
// read from Docker and merged (merge.ts). Following, each replica's history is read
// first (to its end, so the merge can order it), then its log is followed from the last
// line read; replicas that start later are found by asking Docker every DISCOVER_MS and
// followed from their first line; a replica that goes ends its stream.

import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../../logger.ts'
import type { ContainerInfo, Runtime } from '../runtime/index.ts'
import { DISCOVER_MS, KEEPALIVE_MS } from './constants.ts'
import { dockerSince, timedLines, timeOfMs } from './lines.ts'
import { mergeLogs } from './merge.ts'
import type { LogSource } from './merge.ts'
import type { LogItem, LogQuery } from './types.ts'

/** What reading this node's replicas needs: its engine (`list`, `logs`), and a logger for replicas whose log fails. */
export interface MemberLogsInit {
  runtime: Pick<Runtime, 'list' | 'logs'>
  log: Logger
  /** How often to look for new replicas while following (default DISCOVER_MS). */
  discoverMs?: number
  /** A ping after this long without a line while following (default KEEPALIVE_MS). */
  keepaliveMs?: number
}

/** The items of this node's replicas of `service`: lines (history in time order), and following, {live} then live lines and pings; ends when `signal` aborts. */
export async function * memberLogs (init: MemberLogsInit, service: string, query: LogQuery, signal: AbortSignal): AsyncGenerator<LogItem> {
  const from = Date.now()
  const containers = (await init.runtime.list({ signal })).filter((c) => c.service === service).sort((a, b) => a.slot - b.slot)
  const seen = new Set(containers.map((c) => c.id))
  const sources = containers.map((c) => replicaSource(init, c, query, signal, { history: true, from }))
  const more = query.follow ? discover(init, service, query, seen, signal) : undefined
  const merged = mergeLogs(sources, { follow: query.follow, keepaliveMs: init.keepaliveMs ?? KEEPALIVE_MS, ...(more === undefined ? {} : { more }) })
  for await (const item of merged) {
    // A replica whose log could not be read (removed meanwhile) is no member's failure.
    if ('lost' in item) init.log.debug({ replica: item.lost, why: item.why }, 'replica log ended early')
    else yield item
  }
}

function replicaSource (init: MemberLogsInit, container: ContainerInfo, query: LogQuery, signal: AbortSignal, opts: { history: boolean, from: number }): LogSource {
  const own = new AbortController()
  return {
    name: `${container.service}.${container.slot}@${container.node}`,
    items: replicaItems(init, container, query, AbortSignal.any([signal, own.signal]), opts),
    close: () => { own.abort() }
  }
}

async function * replicaItems (init: MemberLogsInit, container: ContainerInfo, query: LogQuery, signal: AbortSignal, opts: { history: boolean, from: number }): AsyncGenerator<LogItem> {
  const about = { service: container.service, slot: container.slot, node: container.node }
  let last: string | undefined
  if (opts.history) {
    const since = query.since === undefined ? {} : { since: dockerSince(timeOfMs(query.since)) }
    const log = await init.runtime.logs(container.id, { follow: false, signal, ...since, ...(query.tail === undefined ? {} : { tail: query.tail }) })
    for await (const { time, stream, line } of timedLines(log)) {
      if (last === undefined || time > last) last = time
      yield { time, ...about, stream, line }
    }
  }
  if (!query.follow) return
  if (opts.history) yield { live: true }
  // From the last line read (Docker's since includes it: skipped below), else from when the request began.
  const start = last ?? (opts.history ? timeOfMs(Math.max(opts.from, query.since ?? 0)) : query.since === undefined ? undefined : timeOfMs(query.since))
  const log = await init.runtime.logs(container.id, { follow: true, signal, ...(start === undefined ? {} : { since: dockerSince(start) }) })
  for await (const { time, stream, line } of timedLines(log)) {
    if (last !== undefined && time <= last) continue
    yield { time, ...about, stream, line }
  }
}

/** Sources for replicas of `service` that start after the request began, until `signal` aborts. */
async function * discover (init: MemberLogsInit, service: string, query: LogQuery, seen: Set<string>, signal: AbortSignal): AsyncGenerator<LogSource> {
  while (!signal.aborted) {
    try {
      await sleep(init.discoverMs ?? DISCOVER_MS, undefined, { signal })
    } catch {
      return
    }
    const containers = await init.runtime.list({ signal }).catch((err: unknown) => {
      init.log.debug({ err }, 'could not list replicas while following a log')
      return []
    })
    for (const container of containers) {
      // A created container has no log yet (it is looked at again); one that already ended still shows why.
      if (container.service !== service || seen.has(container.id) || container.state === 'created') continue
      seen.add(container.id)
      yield replicaSource(init, container, query, signal, { history: false, from: 0 })
    }
  }
}
