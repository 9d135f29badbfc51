// Compose interpolation: every form of the Compose Specification, .env files, and the
// document-wide pass (values only, positions of failures, unset variables noted).

import { describe, expect, it } from 'vitest'
import { interpolate, InterpolationError, parseEnvFile } from '../../../src/node/compose/index.ts'
import { compose, problems, service } from './helpers.ts'

const vars = { SET: 'value', EMPTY: '' }
const value = (text: string): string => interpolate(text, vars).value

describe('interpolate', () => {
  it('substitutes $VAR and ${VAR}', () => {
    expect(value('a $SET b ${SET}c')).toBe('a value b valuec')
    expect(value('$SET_x')).toBe('') // the name is SET_x, unset
  })

  it('writes $$ as a literal $', () => {
    expect(value('$$HOME and $$(cat f) and $${SET}')).toBe('$HOME and $(cat f) and ${SET}')
  })

  it('takes defaults with :- (unset or empty) and - (unset only)', () => {
    expect(value('${UNSET:-d}|${EMPTY:-d}|${SET:-d}')).toBe('d|d|value')
    expect(value('${UNSET-d}|${EMPTY-d}|${SET-d}')).toBe('d||value')
  })

  it('substitutes nested defaults', () => {
    expect(value('${UNSET:-${SET}}')).toBe('value')
    expect(value('${UNSET:-${ALSO:-deep}}')).toBe('deep')
  })

  it('substitutes alternatives with :+ and +', () => {
    expect(value('${SET:+alt}|${EMPTY:+alt}|${EMPTY+alt}|${UNSET+alt}')).toBe('alt||alt|')
  })

  it('refuses a required variable with :? (unset or empty) and ? (unset), with the message', () => {
    expect(() => value('${UNSET:?give a tag}')).toThrow(/required variable UNSET is not set: give a tag/)
    expect(() => value('${EMPTY:?needed}')).toThrow(/EMPTY is empty: needed/)
    expect(value('${EMPTY?needed}')).toBe('')
    expect(() => value('${UNSET?}')).toThrow(InterpolationError)
  })

  it('reports unset variables used without a default, and gives ""', () => {
    expect(interpolate('${A}-$B-${A}', {})).toEqual({ value: '--', unset: ['A', 'B'] })
  })

  it('refuses malformed templates', () => {
    expect(() => value('cost: $5')).toThrow(/write "\$\$" for a literal "\$"/)
    expect(() => value('${SET')).toThrow(/unclosed/)
    expect(() => value('${SET!x}')).toThrow(/expected "}"/)
    expect(() => value('${}')).toThrow(/variable name/)
  })
})

describe('parseEnvFile', () => {
  it('reads KEY=VALUE lines, comments, export, quotes and escapes', () => {
    const text = [
      '# a comment', '', 'export A=1', 'B = two words # comment', "C='${A} literal'", 'D="line\\nbreak ${A}"', 'E=', 'F=x#not-a-comment'
    ].join('\n')
    expect(parseEnvFile(text)).toEqual({ A: '1', B: 'two words', C: '${A} literal', D: 'line\nbreak 1', E: '', F: 'x#not-a-comment' })
  })

  it('interpolates with the outer variables and earlier lines', () => {
    expect(parseEnvFile('A=${OUTER}\nB=${A}-b', { OUTER: 'o' })).toEqual({ A: 'o', B: 'o-b' })
  })

  it('names the line of a malformed entry', () => {
    expect(() => parseEnvFile('A=1\nnot an entry')).toThrow(/line 2: expected KEY=VALUE/)
    expect(() => parseEnvFile('A="open')).toThrow(/line 1: unclosed double quote/)
  })
})

describe('interpolation of a Compose file', () => {
  const file = 'services:\n  web:\n    image: ${IMAGE:-nginx:1.27}\n    environment:\n      TAG: ${TAG}\n    labels:\n      $${KEY}: kept\n'

  it('uses defaults, and notes an unset variable once at its first place', () => {
    const stack = compose(file)
    expect(service(stack, 'web')).toMatchObject({ image: 'nginx:1.27', env: { TAG: '' }, labels: { '$${KEY}': 'kept' } })
    expect(stack.notes).toEqual([{ file: 'compose.yaml', line: 5, column: 7, path: 'services.web.environment.TAG', why: 'variable TAG is not set: a blank string is used' }])
  })

  it('takes the process environment over .env, and .env over defaults', () => {
    const dotEnv = 'IMAGE=from-dotenv:1\nTAG=dotenv\n'
    expect(service(compose(file, { dotEnv }), 'web')).toMatchObject({ image: 'from-dotenv:1', env: { TAG: 'dotenv' } })
    expect(service(compose(file, { dotEnv, env: { TAG: 'process' } }), 'web')).toMatchObject({ image: 'from-dotenv:1', env: { TAG: 'process' } })
  })

  it('places a required variable at its value', () => {
    expect(problems('services:\n  web:\n    image: "${IMAGE:?set IMAGE}"\n')).toEqual([
      { file: 'compose.yaml', line: 3, column: 5, path: 'services.web.image', why: 'required variable IMAGE is not set: set IMAGE' }
    ])
  })

  it('places a malformed .env line in .env', () => {
    expect(problems('services:\n  web:\n    image: nginx\n', { dotEnv: 'A=1\n!!\n' })).toMatchObject([{ file: '.env', line: 2 }])
  })
})
