// Volumes, tmpfs mounts and backups in a spec: the stored form, and each refusal with
// the path of the field at fault.

import { describe, expect, it } from 'vitest'
import { parseServiceSpec, storedSpecProblem } from '../../../src/node/spec/index.ts'
import { recordProblem } from '../../../src/node/trust/index.ts'
import { refusal } from '../../support/refusal.ts'

const base = { name: 'db', image: 'meshd/postgres:15' }
const data = { source: 'data', target: '/var/lib/postgresql/data' }

/** The field and message of the refusal of `input` (its code aside). */
function problem (input: Record<string, unknown>): { path?: string, message: string } {
  const { code: _code, ...rest } = refusal(() => parseServiceSpec({ ...base, ...input }))
  return rest
}

describe('volumes in a spec', () => {
  it('stores readOnly only when true and onNodeLoss only when given', () => {
    const spec = parseServiceSpec({ ...base, volumes: [data, { source: 'conf', target: '/etc/app', readOnly: false, onNodeLoss: 'wait' }, { source: '0', target: '/x', readOnly: true, onNodeLoss: 'empty' }] })
    expect(spec.volumes).toStrictEqual([data, { source: 'conf', target: '/etc/app', onNodeLoss: 'wait' }, { source: '0', target: '/x', readOnly: true, onNodeLoss: 'empty' }])
    expect(parseServiceSpec({ ...base, volumes: [] })).not.toHaveProperty('volumes')
  })

  it.each(['a', '0', 'pg-data', 'a1-b2', 'x'.repeat(63)])('takes the source %s', (source) => {
    expect(parseServiceSpec({ ...base, volumes: [{ source, target: '/d' }] }).volumes?.[0]?.source).toBe(source)
  })

  it.each(['', 'Data', 'pg_data', 'pg.data', '-a', 'a-', 'a/b', 'x'.repeat(64), 7])('refuses the source %j', (source) => {
    expect(problem({ volumes: [data, { source, target: '/d' }] })).toMatchObject({ path: 'volumes[1].source' })
  })

  it.each(['relative', '/', '/a/../b', '/a/./b', '/a//b', '/a/', '', `/${'x'.repeat(1024)}`])('refuses the target %j', (target) => {
    expect(problem({ volumes: [{ source: 'data', target }] })).toMatchObject({ path: 'volumes[0].target', message: expect.stringContaining('an absolute path') })
  })

  it('refuses a source used twice, an unknown field, and more than 16 volumes', () => {
    expect(problem({ volumes: [data, { source: 'data', target: '/other' }] })).toMatchObject({ path: 'volumes[1].source', message: expect.stringContaining('volumes[0]') })
    expect(problem({ volumes: [{ ...data, driver: 'nfs' }] }).message).toContain('one of source, target, readOnly, onNodeLoss')
    expect(problem({ volumes: [{ ...data, readOnly: 'yes' }] })).toMatchObject({ path: 'volumes[0].readOnly' })
    expect(problem({ volumes: [{ ...data, onNodeLoss: 'move' }] })).toMatchObject({ path: 'volumes[0].onNodeLoss' })
    const many = Array.from({ length: 17 }, (_, i) => ({ source: `v${i}`, target: `/v${i}` }))
    expect(problem({ volumes: many })).toMatchObject({ path: 'volumes' })
    expect(problem({ volumes: data })).toMatchObject({ path: 'volumes' })
  })

  it('refuses "restore" without backups', () => {
    expect(problem({ volumes: [data, { source: 'b', target: '/b', onNodeLoss: 'restore' }] })).toMatchObject({ path: 'volumes[1].onNodeLoss', message: expect.stringContaining('backup') })
    expect(parseServiceSpec({ ...base, volumes: [{ ...data, onNodeLoss: 'restore' }], backup: { every: '1h', keep: 2 } }).volumes?.[0]?.onNodeLoss).toBe('restore')
  })
})

describe('tmpfs mounts in a spec', () => {
  it('stores the size in bytes, given as bytes or as a memory size', () => {
    const spec = parseServiceSpec({ ...base, tmpfs: [{ target: '/tmp' }, { target: '/a', size: '64MiB' }, { target: '/b', size: '1g' }, { target: '/c', size: 4096 }] })
    expect(spec.tmpfs).toStrictEqual([{ target: '/tmp' }, { target: '/a', size: 64 * 2 ** 20 }, { target: '/b', size: 2 ** 30 }, { target: '/c', size: 4096 }])
    expect(parseServiceSpec({ ...base, tmpfs: [] })).not.toHaveProperty('tmpfs')
  })

  it.each([0, 4095, '1x', '2t', -1, 1.5, true])('refuses the size %j', (size) => {
    expect(problem({ tmpfs: [{ target: '/tmp' }, { target: '/a', size }] })).toMatchObject({ path: 'tmpfs[1].size', message: expect.stringContaining('a memory size') })
  })

  it('refuses a relative target and an unknown field', () => {
    expect(problem({ tmpfs: [{ target: 'tmp' }] })).toMatchObject({ path: 'tmpfs[0].target' })
    expect(problem({ tmpfs: [{ target: '/tmp', mode: 1777 }] }).message).toContain('one of target, size')
  })
})

describe('one path per mount', () => {
  it.each([
    [{ volumes: [data, { source: 'b', target: data.target }] }, 'volumes[1].target', 'volumes[0]'],
    [{ volumes: [data], tmpfs: [{ target: data.target }] }, 'tmpfs[0].target', 'volumes[0]'],
    [{ tmpfs: [{ target: '/t' }, { target: '/t' }] }, 'tmpfs[1].target', 'tmpfs[0]'],
    [{ secrets: [{ source: 's', target: '/d' }], volumes: [{ source: 'd', target: '/d' }] }, 'volumes[0].target', 'secrets[0]'],
    [{ secrets: [{ source: 's' }], tmpfs: [{ target: '/run/secrets/s' }] }, 'tmpfs[0].target', 'secrets[0]'],
    [{ configs: [{ source: 'c', target: '/etc/c' }], volumes: [{ source: 'd', target: '/etc/c' }] }, 'volumes[0].target', 'configs[0]']
  ])('refuses %j at %s', (input, path, first) => {
    expect(problem(input)).toMatchObject({ path, message: expect.stringContaining(`already the target of ${first}`) })
  })

  it('takes mounts nested in one another (Docker mounts the shallower first)', () => {
    const spec = parseServiceSpec({ ...base, volumes: [{ source: 'd', target: '/data' }], tmpfs: [{ target: '/data/cache' }], configs: [{ source: 'c', target: '/data/app.conf' }] })
    expect(spec.tmpfs).toHaveLength(1)
  })
})

describe('backups in a spec', () => {
  it('stores the schedule as given', () => {
    expect(parseServiceSpec({ ...base, volumes: [data], backup: { every: '1m', keep: 1 } }).backup).toStrictEqual({ every: '1m', keep: 1 })
    const backup = { every: '168h', keep: 1000, command: ['pg_dump', '-f', '/var/lib/postgresql/data/dump.sql'] }
    expect(parseServiceSpec({ ...base, volumes: [data], backup }).backup).toStrictEqual(backup)
  })

  it.each([
    [{ every: '59s', keep: 1 }, 'backup.every'],
    [{ every: '169h', keep: 1 }, 'backup.every'],
    [{ every: '1h', keep: 0 }, 'backup.keep'],
    [{ every: '1h', keep: 1001 }, 'backup.keep'],
    [{ every: '1h', keep: 1.5 }, 'backup.keep'],
    [{ keep: 1 }, 'backup.every'],
    [{ every: '1h' }, 'backup.keep'],
    [{ every: '1h', keep: 1, command: [] }, 'backup.command'],
    [{ every: '1h', keep: 1, command: [''] }, 'backup.command[0]'],
    [{ every: '1h', keep: 1, command: 'pg_dump' }, 'backup.command']
  ])('refuses %j at %s', (backup, path) => {
    expect(problem({ volumes: [data], backup })).toMatchObject({ path })
  })

  it('refuses a backup of a service without volumes', () => {
    expect(problem({ backup: { every: '1h', keep: 24 } })).toMatchObject({ path: 'backup', message: expect.stringContaining('without volumes') })
    expect(problem({ volumes: [], backup: { every: '1h', keep: 24 } })).toMatchObject({ path: 'backup' })
  })
})

describe('a stored spec with volumes', () => {
  it('is sound as the API stores it, and not otherwise', () => {
    const spec = parseServiceSpec({ ...base, volumes: [{ ...data, readOnly: true }], tmpfs: [{ target: '/tmp', size: '8m' }], backup: { every: '1h', keep: 3 } })
    expect(storedSpecProblem(spec, 'db')).toBeUndefined()
    expect(storedSpecProblem({ ...spec, tmpfs: [{ target: '/tmp', size: '8m' }] }, 'db')).toContain('not in the form')
    expect(storedSpecProblem({ ...spec, volumes: [{ ...data, readOnly: false }] }, 'db')).toContain('not in the form')
    expect(storedSpecProblem({ ...spec, volumes: [{ ...data, source: '../x' }] }, 'db')).toMatch(/^spec\.volumes\[0\]\.source/)
    // Peers' records are screened with the same rules.
    const record = { spec, generation: 1, createdAt: 1, updatedAt: 1 }
    expect(recordProblem('services', 'db', record)).toBeUndefined()
    expect(recordProblem('services', 'db', { ...record, spec: { ...spec, tmpfs: [{ target: 'tmp' }] } })).toMatch(/^spec\.tmpfs\[0\]\.target/)
  })
})
