// containerPart: which fields of a spec change what a container runs.

import { describe, expect, it } from 'vitest'
import type { ServiceSpec } from '../../../src/crdt/index.ts'
import { containerPart, specHash } from '../../../src/node/cluster/index.ts'

const base: ServiceSpec = { name: 'shop-web', image: 'nginx:1.27', env: {}, replicas: 1, ports: [], labels: {} }

describe('containerPart', () => {
  it.each<[string, Partial<ServiceSpec>]>([
    ['entrypoint', { entrypoint: ['/init'] }],
    ['an empty entrypoint', { entrypoint: [] }],
    ['user', { user: '1000' }],
    ['workingDir', { workingDir: '/srv' }],
    ['stopSignal', { stopSignal: 'SIGINT' }],
    ['stopGracePeriod', { stopGracePeriod: '30s' }]
  ])('keeps %s: it changes the container', (_field, fields) => {
    expect(containerPart({ ...base, ...fields })).toMatchObject(fields)
    expect(specHash({ ...base, ...fields })).not.toBe(specHash(base))
  })

  it('leaves out the stack and dependsOn: filing a service in a stack or ordering first starts replaces no replica', () => {
    const filed: ServiceSpec = { ...base, stack: 'shop', dependsOn: [{ service: 'shop-db', condition: 'healthy' }] }
    expect(containerPart(filed)).toStrictEqual(containerPart(base))
    expect(specHash(filed)).toBe(specHash(base))
  })
})
