// The routes of alert rules: written by operators and admins (alerts:write), read by any
// token. A rule is parsed before it is written (spec/alert.ts); a view never shows the
// webhook's credentials, whoever asks (the document keeps them sealed: alerts/credentials.ts).

import type { FastifyInstance } from 'fastify'
import type { AlertRecord, AlertStateRecord } from '../../crdt/index.ts'
import { byText } from '../../placement/index.ts'
import { coordinatorOf } from '../cluster/index.ts'
import type { ClusterView } from '../cluster/index.ts'
import { MeshdError } from '../errors.ts'
import { parseAlertRequest } from '../spec/index.ts'
import { sealWebhook, shownWebhook } from '../alerts/index.ts'
import type { ApiInit } from './types.ts'

/** An alert rule as GET /v1/alerts shows it: the rule, its state and its last notice. */
export interface AlertView {
  name: string
  when: string
  for?: string
  notify: { webhook: string }
  state: AlertStateRecord['state']
  since?: number
  startsAt?: number
  endsAt?: number
  instances: Array<{ labels: Record<string, string>, value?: number }>
  lastNotice?: { status: 'firing' | 'resolved', phase: string, at: number, attempts: number, by?: string, error?: string }
  /** The node that evaluates it now. */
  coordinator?: string
  createdAt: number
  updatedAt: number
}

const NAME = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/

export function registerAlertRoutes (app: FastifyInstance, init: ApiInit): void {
  const rules = (): Record<string, AlertRecord> => init.alerts?.rules() ?? init.document.alerts()
  const states = (): Record<string, AlertStateRecord> => init.alerts?.states() ?? init.document.alertStates()
  const require = (name: string): AlertRecord => {
    const rule = rules()[name]
    if (rule === undefined) throw new MeshdError('MESHD_ALERT_NOT_FOUND', `alert "${name}" not found`, 'name')
    return rule
  }

  app.get('/v1/alerts', async () => {
    const view = init.view()
    const all = states()
    return Object.entries(rules()).sort(([a], [b]) => byText(a, b)).map(([name, rule]) => alertView(name, rule, all[name], view))
  })

  app.get<{ Params: { name: string } }>('/v1/alerts/:name', async (req) => alertView(req.params.name, require(req.params.name), states()[req.params.name], init.view()))

  app.put<{ Params: { name: string } }>('/v1/alerts/:name', { config: { permission: 'alerts:write' } }, async (req, reply) => {
    const { name } = req.params
    if (name.length > 63 || !NAME.test(name)) throw new MeshdError('MESHD_INVALID_SPEC', 'name: expected a DNS label (lowercase letters, digits and "-", starting with a letter, at most 63 characters)', 'name')
    const request = parseAlertRequest(req.body)
    const before = init.document.alerts()[name]
    const now = Date.now()
    let notify: AlertRecord['notify']
    try {
      notify = sealWebhook(init.secretsKey, name, request.notify.webhook)
    } catch (err) {
      throw new MeshdError('MESHD_INVALID_SPEC', `notify.webhook: ${(err as Error).message}; give a URL without credentials`, 'notify.webhook')
    }
    const record: AlertRecord = { when: request.when, ...(request.for === undefined ? {} : { for: request.for }), notify, createdAt: before?.createdAt ?? now, updatedAt: now }
    // Sealed credentials differ at every write (fresh keys): a rule with them is always written.
    const same = before !== undefined && before.when === record.when && before.for === record.for && notify.credentials === undefined && before.notify.credentials === undefined && before.notify.webhook === notify.webhook
    if (!same) init.document.putAlert(name, record)
    init.log.info({ alert: name, when: record.when, webhook: shownWebhook(notify), by: req.principal?.name }, before === undefined ? 'alert created' : 'alert updated')
    return await reply.status(before === undefined ? 201 : 200).send(alertView(name, same ? before : record, states()[name], init.view()))
  })

  app.delete<{ Params: { name: string } }>('/v1/alerts/:name', { config: { permission: 'alerts:write' } }, async (req) => {
    require(req.params.name)
    init.document.deleteAlert(req.params.name)
    init.log.info({ alert: req.params.name, by: req.principal?.name }, 'alert deleted')
    return { deleted: req.params.name }
  })
}

/** A rule and its state as the API shows them, the webhook's credentials redacted. */
export function alertView (name: string, rule: AlertRecord, state: AlertStateRecord | undefined, view: ClusterView): AlertView {
  const notice = state?.notice
  const coordinator = coordinatorOf(view, `alert:${name}`)
  const coordinatorName = coordinator === undefined ? undefined : view.nodes[coordinator]?.name ?? coordinator
  const byName = notice === undefined ? undefined : view.nodes[notice.by]?.name ?? notice.by
  return {
    name,
    when: rule.when,
    ...(rule.for === undefined ? {} : { for: rule.for }),
    notify: { webhook: shownWebhook(rule.notify) },
    state: state?.state ?? 'inactive',
    ...(state === undefined ? {} : { since: state.since }),
    ...(state?.startsAt === undefined ? {} : { startsAt: state.startsAt }),
    ...(state?.endsAt === undefined ? {} : { endsAt: state.endsAt }),
    instances: state?.state === 'inactive' ? [] : state?.instances ?? [],
    ...(notice === undefined ? {} : { lastNotice: { status: notice.status, phase: notice.phase, at: notice.at, attempts: notice.attempts, ...(byName === undefined ? {} : { by: byName }), ...(notice.error === undefined ? {} : { error: notice.error }) } }),
    ...(coordinatorName === undefined ? {} : { coordinator: coordinatorName }),
    createdAt: rule.createdAt,
    updatedAt: rule.updatedAt
  }
}
