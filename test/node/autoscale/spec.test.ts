import { describe, expect, it } from 'vitest'
import { parseServiceSpec, storedSpecProblem } from '../../../src/node/spec/index.ts'
import { containerPart } from '../../../src/node/cluster/index.ts'
import { recordProblem } from '../../../src/node/trust/index.ts'

const base = { name: 'web', image: 'nginx:1.27' }

function problem (body: unknown): string {
  try {
    parseServiceSpec(body)
  } catch (err) {
    return (err as Error).message
  }
  return 'accepted'
}

describe('spec.autoscale', () => {
  it('is stored with only the fields given, replicas starting within min and max', () => {
    const spec = parseServiceSpec({ ...base, autoscale: { min: 2, max: 5, requestsPerSecond: 50, scaleDown: { window: '20s' } } })
    expect(spec.autoscale).toEqual({ min: 2, max: 5, requestsPerSecond: 50, scaleDown: { window: '20s' } })
    expect(spec.replicas).toBe(2)
    expect(parseServiceSpec({ ...base, autoscale: { min: 0, max: 3, connections: 10 } }).replicas).toBe(1)
    expect(storedSpecProblem(spec, 'web')).toBeUndefined()
  })

  it.each([
    [{ min: 3, max: 2, cpu: 50 }, 'autoscale.min: expected at most autoscale.max (2), got 3'],
    [{ min: 1, max: 1001, cpu: 50 }, 'autoscale.max'],
    [{ min: 1, max: 3 }, 'autoscale: no target'],
    [{ min: 1, max: 3, cpu: 50 }, 'autoscale.cpu: a percentage of nothing'],
    [{ min: 1, max: 3, requestsPerSecond: 0 }, 'autoscale.requestsPerSecond'],
    [{ min: 1, max: 3, connections: 5, scaleDown: { window: '5' } }, 'autoscale.scaleDown.window'],
    [{ min: 1, max: 3, connections: 5, scaleUp: { step: 0 } }, 'autoscale.scaleUp.step'],
    [{ min: 1, max: 3, connections: 5, extra: 1 }, 'autoscale']
  ])('refuses %j naming the field', (autoscale, message) => {
    expect(problem({ ...base, autoscale })).toContain(message)
  })

  it('needs a starting count within the bounds and no global mode', () => {
    expect(problem({ ...base, replicas: 7, autoscale: { min: 1, max: 5, connections: 5 } })).toContain('replicas: expected a starting count between autoscale.min (1) and autoscale.max (5), got 7')
    expect(problem({ ...base, mode: 'global', autoscale: { min: 1, max: 5, connections: 5 } })).toContain('autoscale: not allowed when mode is "global"')
  })

  it('accepts a cpu target against a limit or a reservation', () => {
    expect(problem({ ...base, resources: { limits: { cpus: 0.2 } }, autoscale: { min: 1, max: 3, cpu: 50 } })).toBe('accepted')
    expect(problem({ ...base, resources: { cpus: 0.5 }, autoscale: { min: 1, max: 3, cpu: 50 } })).toBe('accepted')
  })

  it('rolls no container', () => {
    const a = parseServiceSpec({ ...base, autoscale: { min: 1, max: 5, connections: 5 } })
    const b = parseServiceSpec({ ...base, autoscale: { min: 1, max: 9, requestsPerSecond: 5 } })
    expect(containerPart(a)).toEqual(containerPart(b))
    expect(containerPart(a)).toEqual(containerPart(parseServiceSpec(base)))
  })

  it('passes the peer trust check; the coordinator\'s status is a record of its own', () => {
    const spec = parseServiceSpec({ ...base, autoscale: { min: 1, max: 5, connections: 5 } })
    const status = {
      desired: 2,
      metrics: { running: 1, connections: 12, at: 1 },
      lastDecision: { at: 1, from: 1, to: 2, reason: 'connections' },
      decisions: [{ at: 1, from: 1, to: 2, reason: 'connections' }],
      recommendations: [{ at: 1, replicas: 2 }],
      updatedAt: 1
    }
    expect(recordProblem('services', 'web', { spec, generation: 1, createdAt: 1, updatedAt: 1 })).toBeUndefined()
    expect(recordProblem('autoscale', 'web', { ...status, serviceCreatedAt: 1 })).toBeUndefined()
    expect(recordProblem('autoscale', 'web', { ...status, serviceCreatedAt: 1, desired: -1 })).toContain('desired')
    expect(recordProblem('autoscale', 'web', status)).toContain('serviceCreatedAt')
  })
})
