// Alert rules: the small language of `when` and the body of PUT /v1/alerts/NAME. A rule
// names one condition over the cluster; `service=NAME` narrows a service or replica
// condition to one service. Every rejection names the field (when, for, notify.webhook).

import { MeshdError } from '../errors.ts'
import { MAX_NAME_LENGTH } from './constants.ts'
import { formatDuration, parseDuration } from './duration.ts'
import { findForbiddenKey } from './forbidden-keys.ts'

/** A parsed `when`: what to look at, and the threshold when there is one. */
export type AlertRule =
  | { kind: 'service.unhealthy', service?: string }
  | { kind: 'node.dead' }
  | { kind: 'replica.restarts', above: number, windowMs: number, service?: string }
  | { kind: 'replica.cpu', abovePercent: number, service?: string }
  | { kind: 'service.errors', abovePercent: number, service?: string }

/** A validated PUT /v1/alerts/NAME body. */
export interface AlertRequest {
  when: string
  for?: string
  notify: { webhook: string }
}

export const ALERT_RULE_FORMS = [
  'service.healthy < service.desired', 'node.dead', 'replica.restarts > 3 in 5m', 'replica.cpu > 90%', 'service.errors > 1%'
] as const

const MAX_RULE_LENGTH = 256
const MAX_URL_LENGTH = 2048
const MAX_FOR_MS = 24 * 3_600_000
const MAX_RESTART_WINDOW_MS = 24 * 3_600_000
const LABEL = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/
const FORMS = `one of: ${ALERT_RULE_FORMS.map((f) => `"${f}"`).join(', ')}, optionally followed by "service=NAME"`

const invalid = (field: string, message: string): MeshdError => new MeshdError('MESHD_INVALID_SPEC', `${field}: ${message}`, field)

/** The rule a `when` text says; throws MeshdError naming `when`. */
export function parseRule (text: unknown): AlertRule {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_RULE_LENGTH) throw invalid('when', `expected a rule, ${FORMS}`)
  const words = text.trim().split(/\s+/)
  let service: string | undefined
  const last = words.at(-1) ?? ''
  if (last.startsWith('service=')) {
    service = last.slice('service='.length)
    if (service.length > MAX_NAME_LENGTH || !LABEL.test(service)) throw invalid('when', `service=${JSON.stringify(service)} is not a service name`)
    words.pop()
  }
  const scoped = service === undefined ? {} : { service }
  const phrase = words.join(' ')
  if (phrase === 'service.healthy < service.desired') return { kind: 'service.unhealthy', ...scoped }
  if (phrase === 'node.dead') {
    if (service !== undefined) throw invalid('when', 'node.dead takes no service=NAME')
    return { kind: 'node.dead' }
  }
  const restarts = /^replica\.restarts > (\d{1,6}) in (\S+)$/.exec(phrase)
  if (restarts !== null) {
    const windowMs = durationIn('when', restarts[2]!, 1000, MAX_RESTART_WINDOW_MS)
    return { kind: 'replica.restarts', above: Number(restarts[1]), windowMs, ...scoped }
  }
  const percent = /^(replica\.cpu|service\.errors) > (\d{1,4}(?:\.\d{1,3})?)%$/.exec(phrase)
  if (percent !== null) {
    const abovePercent = Number(percent[2])
    if (percent[1] === 'service.errors' && abovePercent >= 100) throw invalid('when', 'service.errors is a share of requests: a threshold below 100%')
    return percent[1] === 'replica.cpu' ? { kind: 'replica.cpu', abovePercent, ...scoped } : { kind: 'service.errors', abovePercent, ...scoped }
  }
  throw invalid('when', `${JSON.stringify(text.slice(0, 80))} is not a rule; expected ${FORMS}`)
}

/** The rule as text, the same for every way of writing it ("node.dead", "replica.cpu > 90% service=web"). */
export function formatRule (rule: AlertRule): string {
  const scope = 'service' in rule && rule.service !== undefined ? ` service=${rule.service}` : ''
  switch (rule.kind) {
    case 'service.unhealthy': return `service.healthy < service.desired${scope}`
    case 'node.dead': return 'node.dead'
    case 'replica.restarts': return `replica.restarts > ${rule.above} in ${formatDuration(rule.windowMs)}${scope}`
    case 'replica.cpu': return `replica.cpu > ${rule.abovePercent}%${scope}`
    case 'service.errors': return `service.errors > ${rule.abovePercent}%${scope}`
  }
}

/** A webhook URL the daemon may post to: http(s), a host, no fragment; throws naming `field`. */
export function parseWebhook (value: unknown, field = 'notify.webhook'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_URL_LENGTH) throw invalid(field, `expected an http or https URL of at most ${MAX_URL_LENGTH} characters`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalid(field, 'expected an http or https URL; this is not a URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(field, `expected an http or https URL, got a ${url.protocol.replace(/:$/, '')} URL`)
  if (url.hostname === '') throw invalid(field, 'the URL names no host')
  if (url.hash !== '') throw invalid(field, 'a webhook URL has no #fragment')
  return value
}

/** The URL with its user name and password replaced: what logs and views show. */
export function redactWebhook (value: string): string {
  try {
    const url = new URL(value)
    if (url.username === '' && url.password === '') return value
    url.username = 'redacted'
    url.password = ''
    return url.toString()
  } catch {
    return '(invalid URL)'
  }
}

/** Milliseconds of `for` (0 when absent). */
export function alertForMs (text: string | undefined): number {
  return text === undefined ? 0 : durationIn('for', text, 0, MAX_FOR_MS)
}

/** A validated alert request; throws MeshdError MESHD_INVALID_SPEC naming the field. */
export function parseAlertRequest (input: unknown): AlertRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid('body', 'expected an object {when, for?, notify: {webhook}}')
  const forbidden = findForbiddenKey(input)
  if (forbidden !== undefined) throw invalid(forbidden.join('.'), 'forbidden key')
  const body = input as Record<string, unknown>
  const extra = Object.keys(body).find((key) => !['when', 'for', 'notify'].includes(key))
  if (extra !== undefined) throw invalid(extra, 'unknown field; expected one of when, for, notify')
  parseRule(body.when)
  if (body.for !== undefined && typeof body.for !== 'string') throw invalid('for', 'expected a duration such as "30s"')
  if (body.for !== undefined) alertForMs(body.for)
  const notify = body.notify
  if (typeof notify !== 'object' || notify === null || Array.isArray(notify)) throw invalid('notify', 'expected an object {webhook: URL}')
  const notifyExtra = Object.keys(notify).find((key) => key !== 'webhook')
  if (notifyExtra !== undefined) throw invalid(`notify.${notifyExtra}`, 'unknown field; expected webhook')
  const webhook = parseWebhook((notify as Record<string, unknown>).webhook)
  return { when: (body.when as string).trim(), ...(body.for === undefined ? {} : { for: body.for }), notify: { webhook } }
}

function durationIn (field: string, text: string, min: number, max: number): number {
  let ms: number
  try {
    ms = parseDuration(text)
  } catch {
    throw invalid(field, `${JSON.stringify(text.slice(0, 40))} is not a duration such as "30s" or "5m"`)
  }
  if (ms < min || ms > max) throw invalid(field, `expected a duration between ${formatDuration(min)} and ${formatDuration(max)}`)
  return ms
}
