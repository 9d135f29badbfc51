// A notification in Alertmanager's webhook format (version "4"), so receivers written for
// Alertmanager take meshd's as they are: one group per rule (groupLabels {alertname}),
// one alert per instance of the condition, each with its own fingerprint.

import type { AlertInstance, AlertStateRecord } from '../../crdt/index.ts'
import { fingerprintOf } from './state.ts'

/** Alertmanager's "not yet ended". */
export const ZERO_TIME = '0001-01-01T00:00:00Z'

export interface WebhookAlert {
  status: 'firing' | 'resolved'
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt: string
  generatorURL: string
  fingerprint: string
}

export interface WebhookPayload {
  version: '4'
  groupKey: string
  truncatedAlerts: number
  status: 'firing' | 'resolved'
  receiver: string
  groupLabels: Record<string, string>
  commonLabels: Record<string, string>
  commonAnnotations: Record<string, string>
  externalURL: string
  alerts: WebhookAlert[]
}

/** The body posted for a rule's notice: `state` is the episode (its instances, startsAt, endsAt). */
export function webhookPayload (name: string, when: string, state: AlertStateRecord, status: 'firing' | 'resolved', externalURL: string): WebhookPayload {
  const instances: AlertInstance[] = state.instances !== undefined && state.instances.length > 0 ? state.instances : [{ labels: {} }]
  const startsAt = new Date(state.startsAt ?? state.since).toISOString()
  const endsAt = status === 'resolved' && state.endsAt !== undefined ? new Date(state.endsAt).toISOString() : ZERO_TIME
  const alerts = instances.map((instance): WebhookAlert => {
    const labels = { alertname: name, ...instance.labels }
    return {
      status,
      labels,
      annotations: { summary: summaryOf(name, when, instance), rule: when },
      startsAt,
      endsAt,
      generatorURL: `${externalURL}/v1/alerts/${name}`,
      fingerprint: fingerprintOf(name, instance.labels)
    }
  })
  return {
    version: '4',
    groupKey: `{}:{alertname="${name}"}`,
    truncatedAlerts: 0,
    status,
    receiver: 'meshd',
    groupLabels: { alertname: name },
    commonLabels: commonOf(alerts.map((a) => a.labels)),
    commonAnnotations: { rule: when },
    externalURL,
    alerts
  }
}

function summaryOf (name: string, when: string, instance: AlertInstance): string {
  const what = Object.entries(instance.labels).map(([k, v]) => `${k}=${v}`).join(' ')
  const value = instance.value === undefined ? '' : ` (value ${instance.value})`
  return `${name}: ${when}${what === '' ? '' : ` for ${what}`}${value}`
}

// The labels every alert of the group has with the same value.
function commonOf (labelSets: Array<Record<string, string>>): Record<string, string> {
  const [first = {}, ...rest] = labelSets
  return Object.fromEntries(Object.entries(first).filter(([key, value]) => rest.every((labels) => labels[key] === value)))
}
