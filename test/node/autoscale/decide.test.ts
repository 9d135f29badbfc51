import { describe, expect, it } from 'vitest'
import type { AutoscaleMetrics, AutoscaleRecommendation, AutoscaleSpec } from '../../../src/crdt/index.ts'
import { decideReplicas, keptRecommendations, recommend } from '../../../src/node/cluster/index.ts'

const rps = (requestsPerSecond: number, running = 1): AutoscaleMetrics => ({ running, requestsPerSecond, at: 0 })
const spec: AutoscaleSpec = { min: 1, max: 5, requestsPerSecond: 50, scaleDown: { window: '20s' } }

/** Runs one evaluation every 2 s, feeding each outcome's count and history to the next. */
function run (s: AutoscaleSpec, start: number, figures: AutoscaleMetrics[], opts: { wanted?: boolean } = {}) {
  let current = start
  let history: AutoscaleRecommendation[] = []
  const counts: number[] = []
  const reasons: string[] = []
  figures.forEach((metrics, i) => {
    const outcome = decideReplicas({ spec: s, current, metrics, history, now: i * 2000, ...opts })
    current = outcome.desired
    history = outcome.history
    counts.push(current)
    reasons.push(outcome.reason)
  })
  return { counts, reasons, history }
}

describe('recommend', () => {
  it('is ceil(total / target) per target, the highest of them', () => {
    expect(recommend(spec, 1, rps(200)).replicas).toBe(4)
    expect(recommend(spec, 1, rps(201)).replicas).toBe(5)
    expect(recommend({ ...spec, connections: 10 }, 2, { running: 2, requestsPerSecond: 40, connections: 95, at: 0 }).replicas).toBe(10)
    expect(recommend({ min: 1, max: 9, cpu: 50 }, 2, { running: 2, cpu: 90, at: 0 })).toEqual({ replicas: 4, reason: 'cpu 90% per replica over 2 (target 50% per replica) → 4' })
  })

  it('keeps the count within 10 % of the target', () => {
    expect(recommend(spec, 4, rps(219)).replicas).toBe(4)
    expect(recommend(spec, 4, rps(181)).replicas).toBe(4)
    expect(recommend(spec, 4, rps(221)).replicas).toBe(5)
    expect(recommend(spec, 4, rps(179)).replicas).toBe(4)
    expect(recommend(spec, 4, rps(149)).replicas).toBe(3)
    expect(recommend(spec, 4, rps(219)).reason).toContain('within 10% of the target')
  })

  it('says so when there are no figures for its targets', () => {
    expect(recommend(spec, 3, { running: 3, cpu: 99, at: 0 })).toEqual({ replicas: 3, reason: 'no figures yet', measured: false })
    const unmeasured = decideReplicas({ spec, current: 7, metrics: { running: 7, at: 0 }, history: [{ at: -1, replicas: 2 }], now: 0 })
    expect(unmeasured).toMatchObject({ desired: 5, history: [{ at: -1, replicas: 2 }] })
    expect(unmeasured.reason).toContain('brought within autoscale.min 1 and max 5')
    expect(recommend({ min: 1, max: 3, cpu: 50 }, 3, { running: 0, at: 0 }).replicas).toBe(3)
  })
})

describe('decideReplicas', () => {
  it('scales up at once, within max and the step', () => {
    expect(decideReplicas({ spec, current: 1, metrics: rps(200), history: [], now: 0 }).desired).toBe(4)
    const capped = decideReplicas({ spec, current: 1, metrics: rps(2000), history: [], now: 0 })
    expect(capped.desired).toBe(5)
    expect(capped.reason).toContain('capped at autoscale.max 5')
    const stepped = decideReplicas({ spec: { ...spec, max: 50, scaleUp: { step: 2 } }, current: 1, metrics: rps(2000), history: [], now: 0 })
    expect(stepped.desired).toBe(3)
    expect(stepped.reason).toContain('at most 2 more at once')
    expect(decideReplicas({ spec: { ...spec, max: 50 }, current: 10, metrics: rps(2000), history: [], now: 0 }).desired).toBe(20)
  })

  it('scales down only after the whole scale-down window', () => {
    const load = [...Array(5).fill(rps(200, 4)), ...Array(15).fill(rps(0, 4))]
    const { counts, reasons } = run(spec, 4, load)
    // The last recommendation of 4 is at 8 s: the window of 20 s lets go of it at 30 s (the 16th tick).
    expect(counts.slice(0, 15)).toEqual(Array(15).fill(4))
    expect(counts[15]).toBe(1)
    expect(reasons[15]).toContain('raised to autoscale.min 1')
    expect(reasons[10]).toContain('holding 4')
  })

  it('takes the highest recommendation of the window, step by step down', () => {
    const load = [rps(250, 5), rps(150, 5), rps(100, 5), ...Array(12).fill(rps(100, 3))]
    const { counts } = run({ ...spec, scaleDown: { window: '4s' } }, 5, load)
    expect(counts.slice(0, 5)).toEqual([5, 5, 5, 3, 2])
  })

  it('waits for a scale-up window to be sustained', () => {
    const s = { ...spec, scaleUp: { window: '4s' } }
    const { counts, reasons } = run(s, 1, [rps(200), rps(10), rps(200), rps(200), rps(200)])
    expect(counts).toEqual([1, 1, 1, 1, 4])
    expect(reasons[2]).toContain('waiting for the 4s scale-up window')
    expect(reasons[4]).toContain('sustained over the 4s scale-up window')
  })

  it('goes to zero with min 0 and back to one when a connection waits', () => {
    const s = { ...spec, min: 0, scaleDown: { window: '2s' } }
    const { counts } = run(s, 1, [rps(0), rps(0), rps(0)])
    expect(counts).toEqual([1, 0, 0])
    const woken = decideReplicas({ spec: s, current: 0, metrics: { running: 0, requestsPerSecond: 0, at: 0 }, history: [], now: 10_000, wanted: true })
    expect(woken).toMatchObject({ desired: 1, reason: 'a connection waits for a replica' })
    expect(decideReplicas({ spec: s, current: 0, metrics: rps(0, 0), history: [], now: 0 }).desired).toBe(0)
    expect(decideReplicas({ spec: s, current: 0, metrics: rps(120, 0), history: [], now: 0 }).desired).toBe(3)
    const counted = decideReplicas({ spec: s, current: 0, metrics: rps(0.5, 0), history: [], now: 0, wanted: true })
    expect(counted).toMatchObject({ desired: 1, reason: 'a connection waits for a replica; requestsPerSecond 0.5 (target 50 per replica) → 1' })
  })

  it('brings a count outside new bounds back inside', () => {
    expect(decideReplicas({ spec: { ...spec, min: 3 }, current: 1, metrics: rps(50), history: [], now: 0 }).desired).toBe(3)
    expect(decideReplicas({ spec: { ...spec, max: 2 }, current: 4, metrics: rps(200, 4), history: [], now: 0 }).desired).toBe(2)
  })

  it('drops history past every window and keeps its own recommendation last', () => {
    const history = [{ at: 0, replicas: 9 }, { at: 15_000, replicas: 2 }]
    const outcome = decideReplicas({ spec, current: 2, metrics: rps(100, 2), history, now: 30_000 })
    expect(outcome.history).toEqual([{ at: 15_000, replicas: 2 }, { at: 30_000, replicas: 2 }])
  })
})

describe('keptRecommendations', () => {
  it('keeps only those that can still be the highest of a window', () => {
    const history = [5, 3, 4, 2, 2, 1].map((replicas, i) => ({ at: i, replicas }))
    expect(keptRecommendations(history)).toEqual([{ at: 0, replicas: 5 }, { at: 2, replicas: 4 }, { at: 4, replicas: 2 }, { at: 5, replicas: 1 }])
  })

  it('gives the same highest over any window as the full history', () => {
    let seed = 7
    const random = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
    const history = Array.from({ length: 200 }, (_, i) => ({ at: i * 2000, replicas: Math.floor(random() * 10) }))
    const kept = keptRecommendations(history, 1000)
    for (const window of [0, 2000, 10_000, 60_000, 400_000]) {
      const from = 199 * 2000 - window
      const highest = (list: typeof history) => Math.max(...list.filter((r) => r.at >= from).map((r) => r.replicas))
      expect(highest(kept)).toBe(highest(history))
    }
  })
})
