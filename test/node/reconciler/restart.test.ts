// The restart policy: which failed replicas are started again.

import { describe, expect, it } from 'vitest'
import { refusal, resolveRestart } from '../../../src/node/reconciler/restart.ts'
import { plan } from '../../../src/node/reconciler/plan.ts'
import { SlotBackoff } from '../../../src/node/reconciler/backoff.ts'

const policy = (restart: Record<string, unknown>) => resolveRestart({ name: 'web', image: 'x', env: {}, replicas: 1, ports: [], labels: {}, restart })

describe('restart policy', () => {
  it('restarts anything by default, as often as it fails', () => {
    expect(refusal(policy({}), 3, [1, 2, 3, 4, 5], 5)).toBeUndefined()
    expect(refusal(policy({}), undefined, [1], 1)).toBeUndefined()
  })

  it('restarts nothing that exited with condition none, but still replaces an unhealthy replica', () => {
    expect(refusal(policy({ condition: 'none' }), 0, [1], 1)).toMatch(/condition none/)
    expect(refusal(policy({ condition: 'none' }), 137, [1], 1)).toMatch(/condition none/)
    expect(refusal(policy({ condition: 'none' }), undefined, [1], 1)).toBeUndefined()
  })

  it('restarts only a non-zero exit with condition on-failure', () => {
    expect(refusal(policy({ condition: 'on-failure' }), 0, [1], 1)).toMatch(/exited 0/)
    expect(refusal(policy({ condition: 'on-failure' }), 2, [1], 1)).toBeUndefined()
  })

  it('gives up after maxAttempts restarts, counting only those within the window', () => {
    const p = policy({ maxAttempts: 2, window: '10s' })
    expect(refusal(p, 1, [0, 1000], 1000)).toBeUndefined()
    expect(refusal(p, 1, [0, 1000, 2000], 2000)).toMatch(/gave up after 2 restarts/)
    expect(refusal(p, 1, [0, 1000, 20_000], 20_000)).toBeUndefined()
  })

  it('waits restart.delay before the first restart, and doubles from there', () => {
    const backoff = new SlotBackoff()
    expect(backoff.failure('web#0', 0, 2000)).toBe(2000)
    expect(backoff.failure('web#0', 10_000, 2000)).toBe(12_000)
    expect(backoff.failure('web#0', 20_000, 2000)).toBe(24_000)
    expect(new SlotBackoff().failure('web#1', 0)).toBe(0)
  })

  it('plans nothing for a slot the policy has finished with: its exited replica stays', () => {
    const exited = { id: 'c1', key: 'web#0', service: 'web', slot: 0, generation: 1, state: 'exited' as const }
    const result = plan({ desired: [{ key: 'web#0', service: 'web', slot: 0, generation: 1, finished: true }], replicas: [exited], now: 0, retryAt: new Map() })
    expect(result.start).toEqual([])
    expect(result.stop).toEqual([])
    expect(result.keep).toEqual([exited])
  })
})
