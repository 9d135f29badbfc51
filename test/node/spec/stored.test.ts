// A spec read back from the document must be one the API would have stored.

import { describe, expect, it } from 'vitest'
import { parseServiceSpec, storedSpecProblem } from '../../../src/node/spec/index.ts'

const inputs: Array<Record<string, unknown>> = [
  { name: 'a', image: 'x:1' },
  { name: 'b', image: 'x:1', replicas: 3, ports: [{ published: 8080, target: 80, proxyProtocol: true }], health: { type: 'http', path: '/h', interval: '1s' }, env: { A: '1' }, labels: { z: '1' } },
  { name: 'c', image: 'x:1', mode: 'global', constraints: ['node.labels.zone==a'], resources: { cpus: 0.5, memory: 1000000, limits: { cpus: 0.8, memory: '64MiB', pids: 64 } }, update: { parallelism: 2, delay: '1s', order: 'stop-first', failureAction: 'pause', monitor: '2s', maxFailureRatio: 0.5 }, restart: { condition: 'on-failure', delay: '1s', maxAttempts: 3, window: '1m' } },
  { name: 'd', image: 'x:1', health: { type: 'cmd', cmd: ['true'] }, command: ['sh', '-c', 'x'] }
]

describe('storedSpecProblem', () => {
  it('accepts every spec the API stores, a scaled global one too', () => {
    for (const input of inputs) expect(storedSpecProblem(parseServiceSpec(input), String(input.name))).toBeUndefined()
    expect(storedSpecProblem({ ...parseServiceSpec(inputs[2]!), replicas: 5 }, 'c')).toBeUndefined()
  })

  it('refuses a spec without ports, with 1e9 replicas, under another name or with a field too many', () => {
    const stored = parseServiceSpec(inputs[0]!)
    const { ports: _ports, ...noPorts } = stored
    expect(storedSpecProblem(noPorts, 'a')).toContain('not in the form')
    expect(storedSpecProblem({ ...stored, replicas: 1e9 }, 'a')).toMatch(/^spec\.replicas/)
    expect(storedSpecProblem(stored, 'b')).toMatch(/^spec\.name/)
    expect(storedSpecProblem({ ...stored, extra: 1 }, 'a')).toMatch(/^spec\./)
    expect(storedSpecProblem(null, 'a')).toBe('spec: expected an object')
  })
})
