// The routes of alert rules: operators and admins write, any token reads, a bad rule is
// refused naming its field with nothing written, and no view shows the webhook's credentials.

import { afterAll, describe, expect, it } from 'vitest'
import { openWebhook } from '../../../src/node/alerts/index.ts'
import { apiFixture } from '../../support/api.ts'

const { document, app, call, operator, deployer, viewer } = apiFixture({ secretsKey: Buffer.alloc(32, 7) })
const rule = { when: 'replica.cpu > 90% service=web', for: '30s', notify: { webhook: 'https://bot:s3cret@hooks.example/meshd' } }

describe('alert routes', () => {
  afterAll(async () => { await app.close() })

  it('let only operators and admins write, and nobody without a token read', async () => {
    expect((await call('GET', '/v1/alerts')).statusCode).toBe(401)
    expect((await call('PUT', '/v1/alerts/cpu', undefined, rule)).statusCode).toBe(401)
    expect((await call('PUT', '/v1/alerts/cpu', viewer, rule)).statusCode).toBe(403)
    expect((await call('PUT', '/v1/alerts/cpu', deployer, rule)).statusCode).toBe(403)
    expect(document.alerts()).toEqual({})
  })

  it('refuse a bad rule naming the field, writing nothing', async () => {
    for (const [body, path] of [
      [{ ...rule, when: 'cpu high' }, 'when'],
      [{ ...rule, for: 'a while' }, 'for'],
      [{ ...rule, notify: { webhook: 'javascript:alert(1)' } }, 'notify.webhook'],
      [{ ...rule, severity: 'page' }, 'severity']
    ] as const) {
      const answer = await call('PUT', '/v1/alerts/cpu', operator, body)
      expect(answer.statusCode, path).toBe(400)
      expect(answer.json().error.path).toBe(path)
    }
    expect((await call('PUT', '/v1/alerts/Bad_Name', operator, rule)).json().error.path).toBe('name')
    expect(document.alerts()).toEqual({})
  })

  it('write a rule, and show it to any token without the webhook\'s credentials', async () => {
    const created = await call('PUT', '/v1/alerts/cpu', operator, rule)
    expect(created.statusCode).toBe(201)
    expect(created.body).not.toContain('s3cret')
    // At rest, the credentials are sealed: the URL is kept without them.
    expect(document.alerts().cpu).toMatchObject({ when: rule.when, for: '30s', notify: { webhook: 'https://hooks.example/meshd', credentials: expect.any(Object) } })
    expect(JSON.stringify(document.alerts())).not.toContain('s3cret')
    expect(openWebhook(Buffer.alloc(32, 7), 'cpu', document.alerts().cpu!.notify)).toBe(rule.notify.webhook)
    expect(() => openWebhook(Buffer.alloc(32, 8), 'cpu', document.alerts().cpu!.notify)).toThrow()
    expect(() => openWebhook(Buffer.alloc(32, 7), 'other', document.alerts().cpu!.notify)).toThrow()
    const listed = await call('GET', '/v1/alerts', viewer)
    expect(listed.statusCode).toBe(200)
    expect(listed.body).not.toContain('s3cret')
    expect(listed.json()).toEqual([expect.objectContaining({ name: 'cpu', when: rule.when, state: 'inactive', instances: [], coordinator: 'n1', notify: { webhook: 'https://redacted@hooks.example/meshd' } })])
    expect((await call('GET', '/v1/alerts/cpu', viewer)).json().name).toBe('cpu')
    expect((await call('PUT', '/v1/alerts/cpu', operator, rule)).statusCode).toBe(200)
  })

  it('delete a rule with its state; an unknown one is 404', async () => {
    document.putAlertState('cpu', { rule: 'x', state: 'inactive', since: 0, updatedAt: 0 })
    expect((await call('DELETE', '/v1/alerts/cpu', viewer)).statusCode).toBe(403)
    expect((await call('DELETE', '/v1/alerts/cpu', operator)).json()).toEqual({ deleted: 'cpu' })
    expect(document.alerts()).toEqual({})
    expect(document.alertStates()).toEqual({})
    expect((await call('DELETE', '/v1/alerts/cpu', operator)).json().error.code).toBe('MESHD_ALERT_NOT_FOUND')
    expect((await call('GET', '/v1/alerts/cpu', viewer)).statusCode).toBe(404)
  })
})
