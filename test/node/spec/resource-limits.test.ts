// resources.limits: what a replica may use (cgroups), beside the reservations placement counts.

import { describe, expect, it } from 'vitest'
import { MeshdError } from '../../../src/node/errors.ts'
import { parseServiceSpec } from '../../../src/node/spec/index.ts'
import { deepFreeze, minimalSpec } from './fixtures.ts'

const MiB = 2 ** 20
const withResources = (resources: unknown): Record<string, unknown> => ({ ...minimalSpec(), resources })

function rejection (input: unknown): MeshdError {
  try {
    parseServiceSpec(input)
  } catch (err) {
    if (err instanceof MeshdError) return err
    throw err
  }
  throw new Error('expected a rejection')
}

describe('resources.limits', () => {
  it('accepts cpus, memory and pids, storing memory in bytes', () => {
    const spec = parseServiceSpec(deepFreeze(withResources({ cpus: 0.25, memory: 32 * MiB, limits: { cpus: 0.5, memory: '64MiB', pids: 64 } })))
    expect(spec.resources).toStrictEqual({ cpus: 0.25, memory: 32 * MiB, limits: { cpus: 0.5, memory: 64 * MiB, pids: 64 } })
  })

  it('reads memory as bytes or as a binary size, so both store alike', () => {
    for (const memory of [64 * MiB, '64MiB', '64m', '64M', '64MB', '0.0625g']) {
      expect(parseServiceSpec(withResources({ limits: { memory } })).resources).toStrictEqual({ limits: { memory: 64 * MiB } })
    }
  })

  it('accepts the bounds: 0.01 cpus, 6 MiB (Docker\'s minimum), 1 pid; 1024 cpus, 1 TiB, 2^22 pids', () => {
    expect(parseServiceSpec(withResources({ limits: { cpus: 0.01, memory: '6MiB', pids: 1 } })).resources?.limits).toStrictEqual({ cpus: 0.01, memory: 6 * MiB, pids: 1 })
    expect(parseServiceSpec(withResources({ limits: { cpus: 1024, memory: '1TiB', pids: 2 ** 22 } })).resources?.limits).toStrictEqual({ cpus: 1024, memory: 2 ** 40, pids: 2 ** 22 })
  })

  it('adds no defaults: no limits field, and empty limits stay empty', () => {
    expect(parseServiceSpec(withResources({ cpus: 1 })).resources).toStrictEqual({ cpus: 1 })
    expect(parseServiceSpec(withResources({ limits: {} })).resources).toStrictEqual({ limits: {} })
    expect(parseServiceSpec(withResources({ limits: { pids: undefined } })).resources).toStrictEqual({ limits: {} })
  })

  it('round-trips its own output and keeps the reservations as they were', () => {
    const once = parseServiceSpec(withResources({ cpus: 0.5, memory: 268435456, limits: { memory: '1g', pids: 100 } }))
    expect(parseServiceSpec(JSON.parse(JSON.stringify(once)))).toStrictEqual(once)
    expect(once.resources).toMatchObject({ cpus: 0.5, memory: 268435456 })
  })

  it.each([
    [{ limits: 'small' }, 'resources.limits', 'expected an object {cpus, memory, pids}'],
    [{ limits: { swap: 1 } }, 'resources.limits.swap', 'unknown field, expected one of cpus, memory, pids'],
    [{ limits: { cpus: 0 } }, 'resources.limits.cpus', 'between 0.01 and 1024'],
    [{ limits: { cpus: 0.001 } }, 'resources.limits.cpus', 'got 0.001'],
    [{ limits: { cpus: 1025 } }, 'resources.limits.cpus', 'got 1025'],
    [{ limits: { cpus: '1' } }, 'resources.limits.cpus', 'got "1"'],
    [{ limits: { memory: '5MiB' } }, 'resources.limits.memory', 'between 6MiB and 1TiB'],
    [{ limits: { memory: 6 * MiB - 1 } }, 'resources.limits.memory', 'got 6291455'],
    [{ limits: { memory: '2TiB' } }, 'resources.limits.memory', 'got "2TiB"'],
    [{ limits: { memory: '64 MiB' } }, 'resources.limits.memory', 'such as "64MiB"'],
    [{ limits: { memory: 'lots' } }, 'resources.limits.memory', 'got "lots"'],
    [{ limits: { memory: 8.5 * MiB + 0.5 } }, 'resources.limits.memory', 'bytes'],
    [{ limits: { memory: null } }, 'resources.limits.memory', 'got null'],
    [{ limits: { pids: 0 } }, 'resources.limits.pids', 'an integer between 1 and 4194304'],
    [{ limits: { pids: 1.5 } }, 'resources.limits.pids', 'got 1.5'],
    [{ limits: { pids: 2 ** 22 + 1 } }, 'resources.limits.pids', 'got 4194305'],
    [{ cpus: 2, limits: { cpus: 1 } }, 'resources.limits.cpus', 'expected at least resources.cpus (2)'],
    [{ memory: 2 ** 30, limits: { memory: '512m' } }, 'resources.limits.memory', 'expected at least resources.memory (1073741824)']
  ])('rejects %j at %s', (resources, path, says) => {
    const error = rejection(withResources(resources))
    expect(error.code).toBe('MESHD_INVALID_SPEC')
    expect(error.path).toBe(path)
    expect(error.message.startsWith(`${path}: `)).toBe(true)
    expect(error.message).toContain(says)
  })

  it('leaves the reservations as strict as before: memory in bytes only', () => {
    expect(rejection(withResources({ memory: '512M' })).path).toBe('resources.memory')
    expect(rejection(withResources({ limits: { memory: '64MiB' }, gpus: 1 })).path).toBe('resources.gpus')
  })
})
