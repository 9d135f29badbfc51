// The state of one rule, from one evaluation to the next: inactive → pending (the
// condition holds, not yet for `for`) → firing → inactive again, resolved. A transition
// that must be told carries its notice, claimed by the node that writes it (`by`) in
// phase `sending`: the notice is recorded before it is posted, so a node that takes over
// sees it, and only the claimant posts it. Pure: the driver writes and posts.

import { createHash } from 'node:crypto'
import type { AlertNotice, AlertStateRecord } from '../../crdt/index.ts'
import { stateOf } from '../cluster/index.ts'
import type { ClusterView } from '../cluster/index.ts'
import type { Evaluation } from './evaluate.ts'
import { labelKey } from './evaluate.ts'

/** A rule as the state machine needs it: its name, its text (with `for`), and `for` in ms. */
export interface RuleRef { name: string, key: string, forMs: number }

/** 16 hex digits of SHA-256, as Alertmanager's fingerprints look. */
export function fingerprintOf (name: string, labels: Record<string, string> = {}): string {
  return createHash('sha256').update(`${name}\u0000${labelKey(labels)}`).digest('hex').slice(0, 16)
}

/** The notice of an episode's firing or resolution: its id is the same on every node. */
export function noticeOf (state: AlertStateRecord, status: 'firing' | 'resolved', by: string, now: number): AlertNotice {
  return { id: `${state.fingerprint ?? ''}:${state.startsAt ?? 0}:${status}`, status, phase: 'sending', by, at: now, attempts: 0 }
}

/** True while a notice is claimed and not yet posted: no transition until it is done (notices stay in order). */
export function sending (state: AlertStateRecord | undefined): boolean {
  return state?.notice?.phase === 'sending'
}

/**
 * The state after one evaluation, or undefined when it stays as it is (also while a
 * notice is being sent, and while the condition is unknown). A changed rule starts over,
 * resolving first what the old one had fired.
 */
export function nextState (prev: AlertStateRecord | undefined, rule: RuleRef, evaluation: Evaluation, now: number, self: string): AlertStateRecord | undefined {
  if (sending(prev)) return undefined
  const fresh: AlertStateRecord = { rule: rule.key, state: 'inactive', since: now, updatedAt: now }
  if (prev !== undefined && prev.rule !== rule.key) {
    return prev.state === 'firing' ? resolve(prev, now, self) : fresh
  }
  if (evaluation.unknown !== undefined) return undefined
  const current = prev ?? fresh
  const { active, instances } = evaluation
  switch (current.state) {
    case 'inactive': {
      if (!active) return prev === undefined ? fresh : undefined
      const pending: AlertStateRecord = { ...withoutEpisode(current), state: 'pending', since: now, startsAt: now, instances, updatedAt: now }
      return rule.forMs === 0 ? fire(pending, rule, now, self) : pending
    }
    case 'pending':
      if (!active) return { ...withoutEpisode(current), state: 'inactive', since: now, updatedAt: now }
      if (now - (current.startsAt ?? now) >= rule.forMs) return fire({ ...current, instances }, rule, now, self)
      return sameInstances(current, instances) ? undefined : { ...current, instances, updatedAt: now }
    case 'firing':
      if (!active) return resolve(current, now, self)
      return sameInstances(current, instances) ? undefined : { ...current, instances, updatedAt: now }
  }
}

/**
 * A notice another node claimed and can no longer post (it is dead in `view`), claimed
 * anew by `self`; undefined when there is none. The dead claimant may have posted it
 * before it died: then the receiver gets it twice, with the same fingerprint and startsAt.
 */
export function takeOver (state: AlertStateRecord | undefined, view: ClusterView, now: number): AlertStateRecord | undefined {
  const notice = state?.notice
  if (state === undefined || notice === undefined || notice.phase !== 'sending' || notice.by === view.self) return undefined
  if (stateOf(view, notice.by) !== 'dead') return undefined
  return { ...state, notice: { ...notice, by: view.self, at: now }, updatedAt: now }
}

/** The state once its notice was posted (sent) or given up on (failed); undefined when the notice is no longer this one. */
export function noticeDone (state: AlertStateRecord | undefined, id: string, result: { ok: boolean, attempts: number, error?: string }, now: number): AlertStateRecord | undefined {
  if (state?.notice === undefined || state.notice.id !== id || state.notice.phase !== 'sending') return undefined
  const { error: _old, ...notice } = state.notice
  const done: AlertNotice = { ...notice, phase: result.ok ? 'sent' : 'failed', at: now, attempts: result.attempts, ...(result.ok || result.error === undefined ? {} : { error: result.error.slice(0, 1024) }) }
  return { ...state, notice: done, updatedAt: now }
}

function fire (pending: AlertStateRecord, rule: RuleRef, now: number, self: string): AlertStateRecord {
  const firing: AlertStateRecord = { ...pending, state: 'firing', since: now, fingerprint: fingerprintOf(rule.name), updatedAt: now }
  delete firing.endsAt
  return { ...firing, notice: noticeOf(firing, 'firing', self, now) }
}

function resolve (firing: AlertStateRecord, now: number, self: string): AlertStateRecord {
  const resolved: AlertStateRecord = { ...firing, state: 'inactive', since: now, endsAt: now, updatedAt: now }
  return { ...resolved, notice: noticeOf(resolved, 'resolved', self, now) }
}

// An episode's fields, dropped when a new one begins or a pending one ends.
function withoutEpisode (state: AlertStateRecord): AlertStateRecord {
  const { startsAt: _s, endsAt: _e, fingerprint: _f, instances: _i, ...rest } = state
  return rest
}

// By labels only: a value that moves (a CPU share) is not worth a write each tick.
function sameInstances (state: AlertStateRecord, instances: Evaluation['instances']): boolean {
  const keys = (list: Evaluation['instances']): string => list.map((i) => labelKey(i.labels)).join('\n')
  return keys(state.instances ?? []) === keys(instances)
}
