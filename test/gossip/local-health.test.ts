import { describe, expect, it } from 'vitest'
import { LocalHealth } from '../../src/gossip/local-health.ts'

function health (): LocalHealth {
  return new LocalHealth({ toleranceMs: 20, windowMs: 5000, maxCreditMs: 10_000, retainMs: 30_000 })
}

describe('LocalHealth', () => {
  it('ignores jitter within the tolerance', () => {
    const h = health()
    for (let t = 0; t < 10_000; t += 50) h.timer(t, t + 15)
    expect(h.stalled(0, 10_000)).toBe(0)
    expect(h.lag(10_000)).toBe(0)
  })

  it('credits stalled time within a silence, counting overlapping reports once', () => {
    const h = health()
    h.timer(1000, 1500) // stalled 1020..1500
    h.timer(1250, 1500) // the beat timer saw the same stall
    h.timer(3000, 3200) // stalled 3020..3200
    expect(h.stalled(0, 4000)).toBe(480 + 180)
    expect(h.stalled(1200, 4000)).toBe(300 + 180)
    expect(h.stalled(2000, 4000)).toBe(180)
    expect(h.stalled(3100, 3150)).toBe(50)
    expect(h.stalled(3500, 4000)).toBe(0)
    expect(h.lag(3200)).toBe(500)
    expect(h.lag(6600)).toBe(200)
    expect(h.lag(8300)).toBe(0)
  })

  it('caps the credit and forgets stalls older than it retains', () => {
    const h = health()
    for (let t = 0; t < 60_000; t += 1000) h.timer(t, t + 900) // starved 88% of the time
    expect(h.stalled(50_000, 60_000)).toBe(8800)
    expect(h.stalled(0, 60_000)).toBe(10_000)
    // Stalls before the last 30 s are gone: a silence that old gets no credit for them.
    expect(h.stalled(0, 25_000)).toBe(0)
  })
})
