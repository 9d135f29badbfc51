// The merge of several log sources (the replicas of a node, or the nodes of a cluster)
// into one stream. History comes out in time order: a k-way merge that takes the oldest
// head of all sources, so it waits for every source's next line (a member silent for
// `deadlineMs` is dropped and reported, never waited on longer). A followed source marks
// the end of its history with {live}; once all have, lines go out as they arrive, from
// these sources and from any that appear later (`more`). Each source has at most one
// read outstanding: a slow reader holds every source back, nothing piles up here.

import { isLine } from './types.ts'
import type { LogItem, LogLine } from './types.ts'

/** One stream of items: a replica's log, or a member's. `close` stops it (safe twice). */
export interface LogSource {
  name: string
  items: AsyncIterator<LogItem>
  close: () => void
}

export interface MergeOptions {
  follow: boolean
  /** Sources appearing while following (replicas started later); their items go out as they arrive. */
  more?: AsyncIterator<LogSource>
  /** A source whose next item of history takes longer than this is lost; default: wait. */
  deadlineMs?: number
  /** While following, a {ping} after this long without an item. */
  keepaliveMs: number
}

type Step = { source: LogSource, item: LogItem } | { source: LogSource, done: true } | { source: LogSource, lost: string }

/** The items of `sources` merged: lines of history in time order, then (following) a {live} mark and live lines as they come; {lost} for a source that failed. */
export async function * mergeLogs (sources: readonly LogSource[], opts: MergeOptions): AsyncGenerator<LogItem> {
  const open = new Set(sources)
  try {
    const live: LogSource[] = []
    const heads = new Map<LogSource, LogLine>()
    let reading: readonly LogSource[] = sources
    while (true) {
      const steps = await Promise.all(reading.map(async (source) => await historyStep(source, opts.deadlineMs)))
      reading = []
      for (const step of steps) {
        if ('lost' in step) {
          step.source.close()
          yield { lost: step.source.name, why: step.lost }
        } else if (!('item' in step)) {
          step.source.close()
        } else {
          if (isLine(step.item)) heads.set(step.source, step.item)
          else if ('live' in step.item) live.push(step.source)
          else {
            yield step.item
            reading = [...reading, step.source]
          }
        }
      }
      if (reading.length > 0) continue
      const oldest = oldestOf(heads)
      if (oldest === undefined) break
      heads.delete(oldest.source)
      yield oldest.line
      reading = [oldest.source]
    }
    if (!opts.follow) return
    yield { live: true }
    yield * arrivals(live, open, opts)
  } finally {
    for (const source of open) source.close()
    void opts.more?.return?.().catch(() => {})
  }
}

/** The next item of history of a source: pings skipped, lost ones passed on; lost itself past the deadline or on an error. */
async function historyStep (source: LogSource, deadlineMs: number | undefined): Promise<Step> {
  let timer: NodeJS.Timeout | undefined
  const deadline = deadlineMs === undefined
    ? undefined
    : new Promise<Step>((resolve) => { timer = setTimeout(() => { resolve({ source, lost: `no answer within ${deadlineMs / 1000} s` }) }, deadlineMs) })
  try {
    while (true) {
      const next = stepOf(source)
      const step = deadline === undefined ? await next : await Promise.race([next, deadline])
      if (!('item' in step) || !('ping' in step.item)) return step
    }
  } finally {
    clearTimeout(timer)
  }
}

/** The source's next item, its end, or its failure; never rejects. */
async function stepOf (source: LogSource): Promise<Step> {
  try {
    const result = await source.items.next()
    return result.done === true ? { source, done: true } : { source, item: result.value }
  } catch (err) {
    return { source, lost: err instanceof Error ? err.message : String(err) }
  }
}

function oldestOf (heads: Map<LogSource, LogLine>): { source: LogSource, line: LogLine } | undefined {
  let oldest: { source: LogSource, line: LogLine } | undefined
  for (const [source, line] of heads) {
    if (oldest === undefined || line.time < oldest.line.time) oldest = { source, line }
  }
  return oldest
}

const PING = Symbol('ping')

/** Live items as they arrive from `sources` and from those `more` adds, until all have ended. */
async function * arrivals (sources: readonly LogSource[], open: Set<LogSource>, opts: MergeOptions): AsyncGenerator<LogItem> {
  type Pending = Promise<Step | { more: IteratorResult<LogSource> }>
  const pending = new Map<LogSource | 'more', Pending>()
  const arm = (source: LogSource): void => { pending.set(source, stepOf(source)) }
  const armMore = (more: AsyncIterator<LogSource>): void => {
    pending.set('more', more.next().then((result) => ({ more: result }), () => ({ more: { done: true, value: undefined } })))
  }
  for (const source of sources) arm(source)
  if (opts.more !== undefined) armMore(opts.more)
  while (pending.size > 0) {
    let timer: NodeJS.Timeout | undefined
    const quiet = new Promise<typeof PING>((resolve) => { timer = setTimeout(() => { resolve(PING) }, opts.keepaliveMs) })
    const next = await Promise.race([...pending.values(), quiet])
    clearTimeout(timer)
    if (next === PING) {
      yield { ping: true }
      continue
    }
    if ('more' in next) {
      pending.delete('more')
      if (next.more.done === true || opts.more === undefined) continue
      open.add(next.more.value)
      arm(next.more.value)
      armMore(opts.more)
      continue
    }
    pending.delete(next.source)
    if ('lost' in next) {
      next.source.close()
      yield { lost: next.source.name, why: next.lost }
    } else if ('item' in next) {
      arm(next.source)
      if (isLine(next.item) || 'lost' in next.item) yield next.item
    } else {
      next.source.close()
    }
  }
}
