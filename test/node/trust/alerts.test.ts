// A peer's alert rules and states are believed only when the API would have written them.

import { describe, expect, it } from 'vitest'
import { recordProblem } from '../../../src/node/trust/index.ts'

const rule = { when: 'node.dead', notify: { webhook: 'https://hooks.example/x' }, createdAt: 1, updatedAt: 1 }
const state = { rule: 'node.dead|0s', state: 'firing', since: 1, startsAt: 1, fingerprint: '0123456789abcdef', instances: [{ labels: { node: 'b' } }], notice: { id: '0123456789abcdef:1:firing', status: 'firing', phase: 'sent', by: 'n1', at: 2, attempts: 1 }, updatedAt: 2 }

describe('alert records from peers', () => {
  it('accepts a rule and a state the API and a coordinator would write', () => {
    expect(recordProblem('alerts', 'down', rule)).toBeUndefined()
    expect(recordProblem('alerts', 'down', { ...rule, for: '30s' })).toBeUndefined()
    expect(recordProblem('alertStates', 'down', state)).toBeUndefined()
  })

  it.each([
    [{ ...rule, when: 'rm -rf /' }, /^when: /],
    [{ ...rule, for: 'later' }, /^for: /],
    [{ ...rule, notify: { webhook: 'file:///etc/shadow' } }, /^notify\.webhook: /],
    [{ ...rule, notify: {} }, /^notify\.webhook: /],
    [{ ...rule, notify: { webhook: 'https://u:p@hooks.example/x' } }, /credentials in plaintext/],
    [{ ...rule, extra: 1, createdAt: -1 }, /^createdAt: /]
  ])('refuses a rule the API would refuse (%#)', (record, reason) => {
    expect(recordProblem('alerts', 'down', record)).toMatch(reason)
  })

  it('refuses a rule filed under a name that is not one, and a malformed state', () => {
    expect(recordProblem('alerts', 'Down!', rule)).toMatch(/not an alert name/)
    expect(recordProblem('alertStates', 'down', { ...state, state: 'exploded' })).toMatch(/^state: /)
    expect(recordProblem('alertStates', 'down', { ...state, notice: { ...state.notice, phase: 'maybe' } })).toMatch(/^notice\.phase: /)
    expect(recordProblem('alertStates', 'down', { ...state, fingerprint: 'x' })).toMatch(/^fingerprint: /)
  })
})
