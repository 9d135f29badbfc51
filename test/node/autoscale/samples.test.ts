import { describe, expect, it } from 'vitest'
import { isMemberSample } from '../../../src/node/metrics/index.ts'

describe('isMemberSample', () => {
  it('accepts a member sample and nothing else', () => {
    const sample = { replicas: [{ service: 'web', container: 'c', cpuSeconds: 1.5 }], mesh: [{ service: 'web', total: 10, active: 1 }], waiting: [{ service: 'idle', since: 5 }] }
    expect(isMemberSample(sample)).toBe(true)
    expect(isMemberSample({ ...sample, waiting: undefined })).toBe(false)
    expect(isMemberSample({ ...sample, mesh: [{ service: 'web', total: -1, active: 0 }] })).toBe(false)
    expect(isMemberSample({ ...sample, replicas: [{ service: 'web', container: 'c', cpuSeconds: Number.NaN }] })).toBe(false)
    expect(isMemberSample([])).toBe(false)
    expect(isMemberSample(null)).toBe(false)
  })
})
