// Alert rules and their state (docs/architecture.md, "Alerts"). A rule is written by the
// API node that took the request; its state by the rule's coordinator of the moment,
// which is what lets the next coordinator continue without sending anything twice.

import type { Sealed } from './sealed.ts'

/** `alerts[name]`: a rule as the user wrote it (the `when` text is parsed by spec/alert.ts). */
export interface AlertRecord extends Sealed {
  when: string
  /** How long the condition must hold before the alert fires ("30s"); absent: at once. */
  for?: string
  /**
   * Where notifications go: an http(s) URL, Alertmanager's webhook format. Never with
   * credentials in it: those are `credentials`, "user:password" sealed under the secrets key.
   */
  notify: { webhook: string, credentials?: { nonce: string, data: string, key: string } }
  createdAt: number
  updatedAt: number
}

export const ALERT_STATES = ['inactive', 'pending', 'firing'] as const
export type AlertStateName = typeof ALERT_STATES[number]

export const NOTICE_PHASES = ['sending', 'sent', 'failed'] as const
export type NoticePhase = typeof NOTICE_PHASES[number]

/** One instance of an active condition: its labels ({node} or {service, slot}) and the value seen. */
export interface AlertInstance {
  labels: Record<string, string>
  value?: number
}

/**
 * A notification, recorded before it is posted and again once it was: `id` is the
 * fingerprint, the status and the episode's start, the same on whichever node sends it.
 */
export interface AlertNotice {
  id: string
  status: 'firing' | 'resolved'
  phase: NoticePhase
  /** The node that posts it (claims it in `sending`); another posts it only once this one is dead. */
  by: string
  at: number
  attempts: number
  error?: string
}

/** `alertStates[name]`: the rule's state, written by its coordinator. */
export interface AlertStateRecord extends Sealed {
  /** The rule text and `for` this state belongs to: a changed rule starts over. */
  rule: string
  state: AlertStateName
  /** When the state was entered (ms). */
  since: number
  /** The episode: when the condition began to hold, its fingerprint, its instances. */
  startsAt?: number
  endsAt?: number
  fingerprint?: string
  instances?: AlertInstance[]
  /** The last notification and how far it got. */
  notice?: AlertNotice
  updatedAt: number
}
