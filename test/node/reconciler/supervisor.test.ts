// The restart supervisor: the restart policy, the backoff, and crash-loop detection.

import { describe, expect, it } from 'vitest'
import type { ServiceSpec } from '../../../src/crdt/index.ts'
import { Supervisor } from '../../../src/node/reconciler/index.ts'

const spec = (restart: ServiceSpec['restart'] = undefined): ServiceSpec => ({ name: 'web', image: 'x', env: {}, replicas: 1, ports: [], labels: {}, ...(restart === undefined ? {} : { restart }) })
const slot = { key: 'web#0', generation: 1 }

describe('Supervisor', () => {
  it('replaces a failed replica at once, then backs off, and calls the third failure in a row a crash loop', () => {
    const supervisor = new Supervisor()
    const verdicts = [0, 1, 2].map((i) => supervisor.failed(slot, spec(), 1, 1000 + i))
    expect(verdicts.map((v) => v.retryAt! - 1000)).toEqual([0, 501, 1002])
    expect(verdicts.map((v) => v.crashLoop)).toEqual([false, false, true])
    expect(supervisor.retryAt().get('web#0')).toBe(verdicts[2]!.retryAt)
  })

  it('leaves a slot alone as the restart policy says, and marks it finished until its generation changes', () => {
    const supervisor = new Supervisor()
    expect(supervisor.failed(slot, spec({ condition: 'on-failure' }), 0, 1000)).toEqual({ refused: 'exited 0, not restarted (restart.condition on-failure)', crashLoop: false })
    const desired = [{ key: 'web#0', service: 'web', slot: 0, generation: 1 }, { key: 'web#0', service: 'web', slot: 0, generation: 2 }]
    expect(supervisor.mark(desired).map((s) => s.finished === true)).toEqual([true, false])
    supervisor.keepOnly([desired[1]!])
    expect(supervisor.mark(desired).map((s) => s.finished === true)).toEqual([false, false])
  })

  it('gives up after restart.maxAttempts restarts', () => {
    const supervisor = new Supervisor()
    const verdicts = [0, 1].map((i) => supervisor.failed(slot, spec({ maxAttempts: 1 }), 1, 1000 + i))
    expect(verdicts.map((v) => v.refused)).toEqual([undefined, 'gave up after 1 restarts (restart.maxAttempts)'])
  })
})
