import { describe, expect, it } from 'vitest'
import { mergeLogs } from '../../../src/node/logs/merge.ts'
import type { LogSource } from '../../../src/node/logs/merge.ts'
import type { LogItem, LogLine } from '../../../src/node/logs/types.ts'

function line (node: string, second: number, text = `${node} ${second}`): LogLine {
  return { time: `2026-12-03T11:00:${String(second).padStart(2, '0')}.000000000Z`, service: 'web', slot: 0, node, stream: 'stdout', line: text }
}

/** An iterator the test feeds: push values, end it; counts the reads waiting at once. */
function feed<T> (): AsyncIterator<T> & { push: (value: T) => void, end: () => void, maxWaiting: number } {
  const queue: T[] = []
  const waiting: Array<(result: IteratorResult<T>) => void> = []
  let ended = false
  const it = {
    maxWaiting: 0,
    push: (value: T) => { const wake = waiting.shift(); if (wake !== undefined) wake({ value, done: false }); else queue.push(value) },
    end: () => { ended = true; for (const wake of waiting.splice(0)) wake({ value: undefined, done: true }) },
    next: async (): Promise<IteratorResult<T>> => {
      if (queue.length > 0) return { value: queue.shift() as T, done: false }
      if (ended) return { value: undefined, done: true }
      return await new Promise((resolve) => { waiting.push(resolve); it.maxWaiting = Math.max(it.maxWaiting, waiting.length) })
    }
  }
  return it
}

/** A source the test feeds, counting its closes. */
function channel (name: string): LogSource & { push: (item: LogItem) => void, end: () => void, closed: number, items: ReturnType<typeof feed<LogItem>> } {
  const items = feed<LogItem>()
  const source = { name, items, closed: 0, push: items.push, end: items.end, close: () => { source.closed++; items.end() } }
  return source
}

function fixed (name: string, items: LogItem[]): LogSource {
  const source = channel(name)
  for (const item of items) source.push(item)
  source.end()
  return source
}

async function collect (items: AsyncIterable<LogItem>): Promise<LogItem[]> {
  const out: LogItem[] = []
  for await (const item of items) out.push(item)
  return out
}

describe('mergeLogs', () => {
  it('merges the history of every source in time order', async () => {
    const a = fixed('a', [line('a', 1), line('a', 4), line('a', 5)])
    const b = fixed('b', [line('b', 2), line('b', 3), line('b', 6)])
    const c = fixed('c', [])
    const out = await collect(mergeLogs([a, b, c], { follow: false, keepaliveMs: 1000 }))
    expect(out.map((item) => (item as LogLine).line)).toEqual(['a 1', 'b 2', 'b 3', 'a 4', 'a 5', 'b 6'])
  })

  it('reports a source that fails, and one that does not answer within the deadline, and goes on without them', async () => {
    const a = fixed('a', [line('a', 1), line('a', 3)])
    const broken: LogSource = { name: 'b', close: () => {}, items: { next: async () => { throw new Error('connection refused') } } }
    const silent = channel('c')
    const started = Date.now()
    const out = await collect(mergeLogs([a, broken, silent], { follow: false, deadlineMs: 200, keepaliveMs: 1000 }))
    expect(Date.now() - started).toBeLessThan(2000)
    expect(out).toEqual([
      { lost: 'b', why: 'connection refused' },
      { lost: 'c', why: 'no answer within 0.2 s' },
      line('a', 1),
      line('a', 3)
    ])
    expect(silent.closed).toBeGreaterThan(0)
  })

  it('following: history in order, a live mark, then lines as they arrive, from sources added later too', async () => {
    const a = channel('a')
    const b = channel('b')
    const more = feed<LogSource>()
    const later = channel('later')
    const merged = mergeLogs([a, b], { follow: true, keepaliveMs: 60_000, more })
    a.push(line('a', 2)); a.push({ live: true })
    b.push(line('b', 1)); b.push({ live: true })
    expect((await merged.next()).value).toEqual(line('b', 1))
    expect((await merged.next()).value).toEqual(line('a', 2))
    expect((await merged.next()).value).toEqual({ live: true })
    const next = merged.next()
    b.push(line('b', 9))
    expect((await next).value).toEqual(line('b', 9))
    more.push(later)
    const fromLater = merged.next()
    later.push(line('later', 3))
    expect((await fromLater).value).toEqual(line('later', 3))
    await merged.return(undefined)
    expect(a.closed).toBeGreaterThan(0)
    expect(later.closed).toBeGreaterThan(0)
  })

  it('keeps at most one read outstanding per source, and pings a quiet follow', async () => {
    const a = channel('a')
    a.push({ live: true })
    const merged = mergeLogs([a], { follow: true, keepaliveMs: 50 })
    expect((await merged.next()).value).toEqual({ live: true })
    expect((await merged.next()).value).toEqual({ ping: true })
    expect((await merged.next()).value).toEqual({ ping: true })
    expect(a.items.maxWaiting).toBe(1)
    await merged.return(undefined)
  })

  it('ends a follow once every source has ended', async () => {
    const a = fixed('a', [line('a', 1), { live: true }, line('a', 2)])
    expect(await collect(mergeLogs([a], { follow: true, keepaliveMs: 1000 }))).toEqual([line('a', 1), { live: true }, line('a', 2)])
  })
})
