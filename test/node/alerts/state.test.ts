// The state of one rule from one evaluation to the next, and what it asks to send: a
// firing once per episode, a resolved once, `for` honoured, a changed rule starting over,
// no transition while a notice is being sent, and a dead sender's notice taken over.

import { describe, expect, it } from 'vitest'
import type { AlertStateRecord } from '../../../src/crdt/index.ts'
import { fingerprintOf, nextState, noticeDone, takeOver } from '../../../src/node/alerts/index.ts'
import type { Evaluation, RuleRef } from '../../../src/node/alerts/index.ts'
import { clusterView } from '../../../src/node/cluster/index.ts'

const RULE: RuleRef = { name: 'down', key: 'node.dead|0s', forMs: 0 }
const active = (node = 'c'): Evaluation => ({ active: true, instances: [{ labels: { node } }] })
const quiet: Evaluation = { active: false, instances: [] }

/** Runs evaluations at times 1000, 2000, …, returning each state and the notices written. */
function run (rule: RuleRef, evaluations: Evaluation[], start?: AlertStateRecord): { states: Array<AlertStateRecord | undefined>, notices: string[] } {
  let state = start
  const states: Array<AlertStateRecord | undefined> = []
  const notices: string[] = []
  evaluations.forEach((evaluation, i) => {
    const next = nextState(state, rule, evaluation, (i + 1) * 1000, 'a')
    if (next?.notice !== undefined && next.notice.id !== state?.notice?.id) notices.push(`${next.notice.status}@${(i + 1) * 1000}`)
    if (next !== undefined) state = next?.notice?.phase === 'sending' ? noticeDone(next, next.notice.id, { ok: true, attempts: 1 }, (i + 1) * 1000) : next
    states.push(state)
  })
  return { states, notices }
}

describe('an alert\'s state', () => {
  it('fires once and resolves once per episode', () => {
    const { states, notices } = run(RULE, [quiet, active(), active(), active(), quiet, quiet, active()])
    expect(notices).toEqual(['firing@2000', 'resolved@5000', 'firing@7000'])
    expect(states.map((s) => s?.state)).toEqual(['inactive', 'firing', 'firing', 'firing', 'inactive', 'inactive', 'firing'])
    expect(states[4]).toMatchObject({ startsAt: 2000, endsAt: 5000, fingerprint: fingerprintOf('down') })
  })

  it('waits `for` before firing, and a blip never fires', () => {
    const rule = { ...RULE, key: 'node.dead|2s', forMs: 2000 }
    const { states, notices } = run(rule, [active(), quiet, active(), active(), active(), quiet])
    expect(states.map((s) => s?.state)).toEqual(['pending', 'inactive', 'pending', 'pending', 'firing', 'inactive'])
    expect(notices).toEqual(['firing@5000', 'resolved@6000'])
    expect(states[4]?.startsAt).toBe(3000)
  })

  it('keeps the state while the condition is unknown', () => {
    const { states } = run(RULE, [active(), { active: false, instances: [], unknown: 'no CPU samples' }])
    expect(states.map((s) => s?.state)).toEqual(['firing', 'firing'])
  })

  it('records new instances without another notice', () => {
    const { states, notices } = run(RULE, [active('c'), { active: true, instances: [{ labels: { node: 'b' } }, { labels: { node: 'c' } }] }])
    expect(notices).toEqual(['firing@1000'])
    expect(states[1]?.instances).toHaveLength(2)
  })

  it('makes no transition while a notice is being sent (notices stay in order)', () => {
    const firing = nextState(undefined, RULE, active(), 1000, 'a')!
    expect(firing.notice).toMatchObject({ status: 'firing', phase: 'sending', by: 'a' })
    expect(nextState(firing, RULE, quiet, 2000, 'b')).toBeUndefined()
  })

  it('resolves what a changed rule had fired, then starts over', () => {
    const { states } = run(RULE, [active()])
    const changed = { ...RULE, key: 'node.dead|1m', forMs: 60_000 }
    const resolved = nextState(states[0], changed, active(), 5000, 'a')!
    expect(resolved).toMatchObject({ state: 'inactive', rule: 'node.dead|0s', notice: { status: 'resolved' } })
    const sent = noticeDone(resolved, resolved.notice!.id, { ok: true, attempts: 1 }, 5000)!
    expect(nextState(sent, changed, active(), 6000, 'a')).toMatchObject({ state: 'inactive', rule: 'node.dead|1m' })
  })

  it('marks a notice sent or failed only while it is still the one recorded', () => {
    const firing = nextState(undefined, RULE, active(), 1000, 'a')!
    expect(noticeDone(firing, 'other', { ok: true, attempts: 1 }, 2000)).toBeUndefined()
    expect(noticeDone(firing, firing.notice!.id, { ok: false, attempts: 5, error: 'answered 500' }, 2000)?.notice).toMatchObject({ phase: 'failed', attempts: 5, error: 'answered 500' })
  })
})

describe('taking over a notice', () => {
  const nodes = Object.fromEntries(['a', 'b'].map((id) => [id, { name: id, host: '127.0.0.1', apiPort: 1, p2pPort: 2, labels: {}, draining: false, startedAt: 0 }]))
  const view = (dead: string[]) => clusterView({ services: {}, nodes, replicas: [], rollouts: {}, drains: {}, removals: {}, autoscale: {} }, 'b', (id) => dead.includes(id) ? 'dead' : 'alive', 9000)
  const claimed = nextState(undefined, RULE, active(), 1000, 'a')!

  it('leaves a live sender\'s notice alone', () => {
    expect(takeOver(claimed, view([]), 9000)).toBeUndefined()
  })

  it('claims a dead sender\'s notice anew, the same notice', () => {
    const taken = takeOver(claimed, view(['a']), 9000)!
    expect(taken.notice).toEqual({ ...claimed.notice, by: 'b', at: 9000 })
  })

  it('never takes a notice already sent', () => {
    const sent = noticeDone(claimed, claimed.notice!.id, { ok: true, attempts: 1 }, 2000)
    expect(takeOver(sent, view(['a']), 9000)).toBeUndefined()
  })
})
