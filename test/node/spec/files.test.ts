// The secrets and configs of a spec: defaults, refusals naming the field, and the
// stored form with the versions the API resolved.

import { describe, expect, it } from 'vitest'
import { parseServiceSpec, storedSpecProblem } from '../../../src/node/spec/index.ts'
import { refusal } from '../../support/refusal.ts'

const base = { name: 'db', image: 'meshd/postgres:15' }

/** The field and message of the refusal of `input` (its code aside). */
function problem (input: Record<string, unknown>): { path?: string, message: string } {
  const { code: _code, ...rest } = refusal(() => parseServiceSpec({ ...base, ...input }))
  return rest
}

describe('secrets and configs in a spec', () => {
  it('fills in targets and modes, and takes a mode as a number or an octal string', () => {
    const spec = parseServiceSpec({ ...base, secrets: [{ source: 'db-pass' }, { source: 'tls@2', target: '/etc/tls/key.pem', mode: '0440', uid: 999, gid: 999 }], configs: [{ source: 'pg-conf', target: '/etc/postgresql/extra.conf' }] })
    expect(spec.secrets).toEqual([
      { source: 'db-pass', target: 'db-pass', mode: 0o400, uid: 0, gid: 0 },
      { source: 'tls@2', target: '/etc/tls/key.pem', mode: 0o440, uid: 999, gid: 999 }
    ])
    expect(spec.configs).toEqual([{ source: 'pg-conf', target: '/etc/postgresql/extra.conf', mode: 0o444 }])
    expect(parseServiceSpec({ ...base, secrets: [] }).secrets).toBeUndefined()
  })

  it('refuses bad sources, targets, modes and owners, naming the field', () => {
    expect(problem({ secrets: [{ source: 'DB' }] })).toMatchObject({ path: 'secrets[0].source' })
    expect(problem({ secrets: [{ source: 'db@0' }] })).toMatchObject({ path: 'secrets[0].source' })
    expect(problem({ secrets: [{ source: 'db', target: '../etc/passwd' }] })).toMatchObject({ path: 'secrets[0].target' })
    expect(problem({ secrets: [{ source: 'db', target: '/run/secrets/../x' }] })).toMatchObject({ path: 'secrets[0].target' })
    expect(problem({ secrets: [{ source: 'db', mode: 0o1777 }] })).toMatchObject({ path: 'secrets[0].mode' })
    expect(problem({ secrets: [{ source: 'db', mode: '999' }] })).toMatchObject({ path: 'secrets[0].mode' })
    expect(problem({ secrets: [{ source: 'db', uid: -1 }] })).toMatchObject({ path: 'secrets[0].uid' })
    expect(problem({ secrets: [{ source: 'db', value: 'x' }] }).message).toContain('one of source, target, mode, uid, gid')
    expect(problem({ configs: [{ source: 'c' }] })).toMatchObject({ path: 'configs[0].target' })
    expect(problem({ configs: [{ source: 'c', target: 'relative/path' }] })).toMatchObject({ path: 'configs[0].target' })
    expect(problem({ configs: [{ source: 'c', target: '/' }] })).toMatchObject({ path: 'configs[0].target' })
  })

  it('refuses two files at one path', () => {
    expect(problem({ secrets: [{ source: 'a', target: 'x' }], configs: [{ source: 'c', target: '/run/secrets/x' }] }))
      .toMatchObject({ path: 'configs[0].target', message: expect.stringContaining('secrets[0]') })
  })

  it('a stored spec carries the version each reference resolved to, and only then is it sound', () => {
    const spec = parseServiceSpec({ ...base, secrets: [{ source: 'db-pass' }], configs: [{ source: 'c@2', target: '/etc/c' }] })
    expect(storedSpecProblem(spec, 'db')).toContain('without the version')
    const stored = { ...spec, secrets: spec.secrets!.map((ref) => ({ ...ref, version: 3 })), configs: spec.configs!.map((ref) => ({ ...ref, version: 2 })) }
    expect(storedSpecProblem(stored, 'db')).toBeUndefined()
    expect(storedSpecProblem({ ...stored, secrets: [{ ...stored.secrets[0]!, version: 0 }] }, 'db')).toContain('without the version')
    expect(storedSpecProblem({ ...stored, secrets: [{ ...stored.secrets[0]!, mode: 4096 }] }, 'db')).toMatch(/^spec\.secrets\[0\]\.mode/)
  })
})
