import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERRORS, MeshdError } from '../../src/node/errors.ts'

describe('the error registry', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

  it.each(Object.entries(ERRORS))('documents %s in the README with its status', (code, { status, doc }) => {
    expect(readme).toContain(`| \`${code}\` | ${status} | ${doc} |`)
  })

  it('serialises to the API error shape', () => {
    expect(new MeshdError('MESHD_INVALID_SPEC', 'replicas: bad', 'replicas').toJSON())
      .toEqual({ error: { code: 'MESHD_INVALID_SPEC', message: 'replicas: bad', path: 'replicas' } })
    expect(new MeshdError('MESHD_INVALID_SPEC', 'x').status).toBe(400)
  })
})
