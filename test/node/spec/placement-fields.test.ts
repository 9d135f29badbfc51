// The placement fields of a spec: mode, constraints, maxPerNode, resources.

import { describe, expect, it } from 'vitest'
import { parseServiceSpec } from '../../../src/node/spec/index.ts'
import { MeshdError } from '../../../src/node/errors.ts'

const base = { name: 'web', image: 'nginx:1.27' }

function rejection (input: unknown): { code: string, path: string | undefined, message: string } {
  try {
    parseServiceSpec(input)
  } catch (err) {
    if (err instanceof MeshdError) return { code: err.code, path: err.path, message: err.message }
    throw err
  }
  throw new Error('expected a rejection')
}

describe('placement fields', () => {
  it('keeps what was written and adds no defaults', () => {
    const spec = parseServiceSpec({ ...base, mode: 'replicated', constraints: [' node.labels.zone == a ', 'node.name!=n1'], maxPerNode: 2, resources: { cpus: 0.5, memory: 268435456 } })
    expect(spec).toMatchObject({ mode: 'replicated', constraints: ['node.labels.zone == a', 'node.name!=n1'], maxPerNode: 2, resources: { cpus: 0.5, memory: 268435456 } })
    expect(Object.keys(parseServiceSpec(base))).not.toContain('mode')
  })

  it('accepts a global service without replicas', () => {
    expect(parseServiceSpec({ ...base, mode: 'global' }).mode).toBe('global')
  })

  it.each([
    [{ mode: 'everywhere' }, 'mode'],
    [{ constraints: 'node.name==x' }, 'constraints'],
    [{ constraints: ['node.color==red'] }, 'constraints[0]'],
    [{ constraints: ['node.name'] }, 'constraints[0]'],
    [{ constraints: ['node.labels.zone=='] }, 'constraints[0]'],
    [{ maxPerNode: 0 }, 'maxPerNode'],
    [{ maxPerNode: 1.5 }, 'maxPerNode'],
    [{ resources: { cpus: 0 } }, 'resources.cpus'],
    [{ resources: { memory: '512M' } }, 'resources.memory'],
    [{ resources: { gpus: 1 } }, 'resources.gpus'],
    [{ mode: 'global', replicas: 3 }, 'replicas'],
    [{ mode: 'global', maxPerNode: 1 }, 'maxPerNode']
  ])('rejects %j at %s', (fields, path) => {
    const error = rejection({ ...base, ...fields })
    expect(error.code).toBe('MESHD_INVALID_SPEC')
    expect(error.path).toBe(path)
    expect(error.message.startsWith(path)).toBe(true)
  })
})
