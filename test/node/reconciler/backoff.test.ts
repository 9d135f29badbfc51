import { describe, expect, it } from 'vitest'
import { SlotBackoff } from '../../../src/node/reconciler/backoff.ts'

describe('SlotBackoff', () => {
  it('lets the first replacement start at once, then doubles up to the cap', () => {
    const backoff = new SlotBackoff({ baseMs: 100, maxMs: 350, resetAfterMs: 1000 })
    expect(backoff.failure('web#0', 0)).toBe(0)
    expect(backoff.failure('web#0', 0)).toBe(100)
    expect(backoff.failure('web#0', 0)).toBe(200)
    expect(backoff.failure('web#0', 0)).toBe(350)
    expect(backoff.count('web#0')).toBe(4)
  })

  it('forgives a slot whose replica stayed healthy long enough', () => {
    const backoff = new SlotBackoff({ baseMs: 100, maxMs: 10_000, resetAfterMs: 1000 })
    backoff.failure('web#0', 0)
    backoff.failure('web#0', 0)
    backoff.healthy('web#0', 100)
    expect(backoff.failure('web#0', 2000)).toBe(2000)
    expect(backoff.count('web#0')).toBe(1)
  })

  it('does not forgive a replica that was healthy only briefly', () => {
    const backoff = new SlotBackoff({ baseMs: 100, maxMs: 10_000, resetAfterMs: 1000 })
    backoff.failure('web#0', 0)
    backoff.healthy('web#0', 100)
    expect(backoff.failure('web#0', 200)).toBe(300)
  })
})
