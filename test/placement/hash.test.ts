import { describe, expect, it } from 'vitest'
import { hash32, hashInto, unitHash } from '../../src/placement/hash.ts'
import { prng } from './helpers.ts'

function pair (slot: string, node: string): number {
  const lanes = new Int32Array(4)
  hashInto(slot, lanes, 0)
  hashInto(node, lanes, 1)
  return unitHash(lanes[0]!, lanes[1]!, lanes[2]!, lanes[3]!)
}

describe('hash', () => {
  it('gives the same bits as every other node (pinned values: changing them reshuffles every cluster mid-upgrade)', () => {
    expect(hash32('')).toBe(3807794603)
    expect(hash32('web#0')).toBe(1727889427)
    expect(hash32('é✓𝄞')).toBe(741570578)
    expect(pair('web#0', '12D3KooWnode')).toBe(0.41113532854570034)
  })

  it('maps every pair strictly inside (0, 1)', () => {
    // The extremes of the 52-bit lattice: u never reaches 0 or 1, so ln(u) is finite and negative.
    expect(unitHash(0, 0, 0, 0)).toBeGreaterThan(0)
    for (const [a, b] of [[0, 0], [-1, -1], [0x7fffffff, -1], [-1, 0x7fffffff]] as const) {
      for (const [c, d] of [[0, 0], [-1, -1], [1, 2], [-2, -3]] as const) {
        const u = unitHash(a, b, c, d)
        expect(u).toBeGreaterThan(0)
        expect(u).toBeLessThan(1)
      }
    }
  })

  it('ranks nodes uniformly: each node is the top choice of about 1/N of the slots', () => {
    const nodes = Array.from({ length: 10 }, (_, i) => `12D3KooW${i}`)
    const wins = new Array<number>(nodes.length).fill(0)
    const slots = 20_000
    for (let s = 0; s < slots; s++) {
      let best = 0
      let bestU = -1
      nodes.forEach((node, n) => {
        const u = pair(`svc#${s}`, node)
        if (u > bestU) { best = n; bestU = u }
      })
      wins[best]!++
    }
    // χ² with 9 degrees of freedom: 27.9 is the 0.1 % tail.
    const expected = slots / nodes.length
    const chi2 = wins.reduce((sum, w) => sum + (w - expected) ** 2 / expected, 0)
    expect(chi2).toBeLessThan(27.9)
  })

  it('ranks independently for different slots: top choices of two slots agree about 1/N of the time', () => {
    const rng = prng(5)
    const nodes = Array.from({ length: 8 }, () => `n-${rng.int(2 ** 30)}`)
    let same = 0
    const trials = 10_000
    const top = (slot: string): number => {
      let best = 0
      let bestU = -1
      nodes.forEach((node, n) => { const u = pair(slot, node); if (u > bestU) { best = n; bestU = u } })
      return best
    }
    for (let t = 0; t < trials; t++) if (top(`a#${t}`) === top(`a#${t + 1}`)) same++
    expect(same / trials).toBeGreaterThan(1 / 8 - 0.015)
    expect(same / trials).toBeLessThan(1 / 8 + 0.015)
  })
})
