import { describe, expect, it } from 'vitest'
import { inTimeOrder } from '../../../src/node/logs/reorder.ts'
import type { LogItem, LogLine } from '../../../src/node/logs/types.ts'

function line (second: number, node = 'n'): LogLine {
  return { time: `2026-12-03T11:00:${String(second).padStart(2, '0')}.000000000Z`, service: 'web', slot: 0, node, stream: 'stdout', line: `${node} ${second}` }
}

/** Items given out with a pause before each (ms). */
async function * paced (steps: Array<[number, LogItem]>): AsyncGenerator<LogItem> {
  for (const [pause, item] of steps) {
    await new Promise((resolve) => setTimeout(resolve, pause))
    yield item
  }
}

async function collect (items: AsyncIterable<LogItem>): Promise<LogItem[]> {
  const out: LogItem[] = []
  for await (const item of items) out.push(item)
  return out
}

describe('inTimeOrder', () => {
  it('passes history as it is, and puts live lines arriving within the window in time order', async () => {
    const out = await collect(inTimeOrder(paced([[0, line(9)], [0, line(1)], [0, { live: true }], [0, line(5, 'local')], [20, line(3, 'remote')], [0, line(4, 'remote')]]), 200, 1 << 20))
    expect(out).toEqual([line(9), line(1), { live: true }, line(3, 'remote'), line(4, 'remote'), line(5, 'local')])
  })

  it('lets a line go once held long enough, without waiting for the next', async () => {
    const items = inTimeOrder(paced([[0, { live: true }], [0, line(5)], [10_000, line(6)]]), 50, 1 << 20)
    expect((await items.next()).value).toEqual({ live: true })
    const started = Date.now()
    expect((await items.next()).value).toEqual(line(5))
    expect(Date.now() - started).toBeLessThan(5000)
    await items.return(undefined)
  })

  it('holds at most its bytes: the oldest goes out early', async () => {
    const out = await collect(inTimeOrder(paced([[0, { live: true }], [0, line(5)], [0, line(2)], [0, line(1)]]), 60_000, 150))
    // Each line counts ~70 bytes: the third pushes the oldest out at once; the end flushes the rest in order.
    expect(out).toEqual([{ live: true }, line(1), line(2), line(5)])
  })
})
