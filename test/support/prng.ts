// A small seeded PRNG for property tests, so a failing seed can be replayed.

export interface Rng {
  next(): number
  int(max: number): number
  pick<T>(items: readonly T[]): T
}

/** mulberry32 from `seed`. */
export function prng (seed: number): Rng {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6D2B79F5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (max: number): number => Math.floor(next() * max)
  return { next, int, pick: items => items[int(items.length)] as (typeof items)[number] }
}
