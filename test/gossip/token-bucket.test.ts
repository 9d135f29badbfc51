import { describe, expect, it } from 'vitest'
import { TokenBucket } from '../../src/gossip/token-bucket.ts'

describe('TokenBucket', () => {
  it('allows a burst, then the sustained rate', () => {
    const bucket = new TokenBucket(50, 200, 0)
    let taken = 0
    while (bucket.take(1, 0)) taken++
    expect(taken).toBe(200)
    expect(bucket.wait(1, 0)).toBe(20)
    expect(bucket.take(1, 19)).toBe(false)
    expect(bucket.take(1, 20)).toBe(true)
    // One second later: 50 more, not more.
    taken = 0
    while (bucket.take(1, 1020)) taken++
    expect(taken).toBe(50)
    expect(bucket.full(1020)).toBe(false)
    expect(bucket.full(5020)).toBe(true)
  })

  it('charges by cost and refuses a cost above what it holds', () => {
    const bucket = new TokenBucket(10, 100, 0)
    expect(bucket.take(60, 0)).toBe(true)
    expect(bucket.take(60, 0)).toBe(false)
    expect(bucket.take(40, 0)).toBe(true)
    expect(bucket.wait(100, 0)).toBe(10_000)
  })

  it('lets what queued up while this node stalled in beyond the burst', () => {
    const bucket = new TokenBucket(50, 200, 0)
    expect(bucket.take(200, 0)).toBe(true)
    // Stalled for 10 s, the peer's 500 updates of those 10 s arrive at once.
    expect(bucket.take(500, 10_000, (since, now) => now - since)).toBe(true)
    expect(bucket.take(1, 10_000, (since, now) => now - since)).toBe(false)
    // Without the stall only the burst refills.
    const other = new TokenBucket(50, 200, 0)
    expect(other.take(200, 0)).toBe(true)
    expect(other.take(500, 10_000)).toBe(false)
  })
})
