// The young-generation collections of a transfer: one scavenge, forced, per
// COLLECT_EVERY_BYTES moved (counted across transfers), none before.

import { constants, PerformanceObserver } from 'node:perf_hooks'
import type { PerformanceEntry } from 'node:perf_hooks'
import { afterAll, describe, expect, it } from 'vitest'
import { COLLECT_EVERY_BYTES } from '../../../src/node/transfer/constants.ts'
import { transferred } from '../../../src/node/transfer/young-gc.ts'

const forced: PerformanceEntry[] = []
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const { kind, flags } = (entry as PerformanceEntry & { detail: { kind: number, flags: number } }).detail
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR && (flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0) forced.push(entry)
  }
})
observer.observe({ entryTypes: ['gc'] })
afterAll(() => { observer.disconnect() })

/** Forced scavenges seen once the observer had its turn. */
async function forcedAfter (): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 50))
  return forced.length
}

describe('transferred', () => {
  it('forces a scavenge once COLLECT_EVERY_BYTES were moved, counted over chunks, and none before', async () => {
    transferred(COLLECT_EVERY_BYTES) // whatever an earlier count left, it starts from zero after this
    const before = await forcedAfter()
    expect(before).toBeGreaterThanOrEqual(1)
    for (let i = 0; i < 15; i++) transferred(COLLECT_EVERY_BYTES / 16)
    expect(await forcedAfter()).toBe(before)
    transferred(COLLECT_EVERY_BYTES / 16)
    expect(await forcedAfter()).toBe(before + 1)
    // A chunk bigger than the step is one collection, not several.
    transferred(3 * COLLECT_EVERY_BYTES)
    expect(await forcedAfter()).toBe(before + 2)
  })

  it('leaves no gc global behind', () => {
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined()
  })
})
