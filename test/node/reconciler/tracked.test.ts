// How an ended container is reported: an OOM kill must read as one, and count as a failure.

import { describe, expect, it } from 'vitest'
import { exitOf, recordChanged } from '../../../src/node/reconciler/tracked.ts'
import { refusal, resolveRestart } from '../../../src/node/reconciler/restart.ts'
import { toContainerEvent } from '../../../src/node/runtime/events.ts'

// What Docker 20.10 sent for a replica past its memory limit: "oom", then "die" with 137.
const attributes = { 'meshd.service': 'web', 'meshd.slot': '1', 'meshd.node': 'n1', image: 'meshd/busybox:latest' }
const oom = { status: 'oom', id: 'c1', Type: 'container', Action: 'oom', Actor: { ID: 'c1', Attributes: attributes } }
const die = { status: 'die', id: 'c1', Type: 'container', Action: 'die', Actor: { ID: 'c1', Attributes: { ...attributes, exitCode: '137' } } }

describe('exitOf', () => {
  it('reports an OOM kill as running out of memory, with SIGKILL\'s 137', () => {
    const event = toContainerEvent(oom)
    expect(event).toEqual({ id: 'c1', action: 'oom', service: 'web', slot: 1 })
    expect(exitOf(event!)).toEqual({ reason: 'container ran out of memory', code: 137 })
  })

  it('reports a die with its exit code', () => {
    expect(exitOf(toContainerEvent(die)!)).toEqual({ reason: 'container exited with code 137', code: 137 })
    expect(exitOf({ id: 'c1', action: 'die' })).toEqual({ reason: 'container exited', code: 1 })
  })

  it('lets the restart policy restart an OOM-killed replica as a failure', () => {
    const policy = (condition: 'any' | 'on-failure' | 'none') => resolveRestart({ name: 'web', image: 'x', env: {}, replicas: 1, ports: [], labels: {}, restart: { condition } })
    const { code } = exitOf(toContainerEvent(oom)!)
    expect(refusal(policy('on-failure'), code, [1], 1)).toBeUndefined()
    expect(refusal(policy('any'), code, [1], 1)).toBeUndefined()
    expect(refusal(policy('none'), code, [1], 1)).toMatch(/condition none/)
  })
})

describe('recordChanged', () => {
  const record = { service: 'web', slot: 0, generation: 1, node: 'a', container: 'c', endpoint: '', ports: [], state: 'healthy' as const, updatedAt: 1 }

  it('ignores the time and the seal a record read back from the document carries', () => {
    expect(recordChanged({ ...record, updatedAt: 5, by: 'n', sig: 'x' }, record)).toBe(false)
    expect(recordChanged(record, { ...record, state: 'unhealthy' })).toBe(true)
  })
})
