// The alert rule language and the PUT /v1/alerts body: each form parsed, each mistake
// refused naming its field, the webhook's credentials never shown.

import { describe, expect, it } from 'vitest'
import { formatRule, parseAlertRequest, parseRule, parseWebhook, redactWebhook } from '../../../src/node/spec/index.ts'
import { MeshdError } from '../../../src/node/errors.ts'

const refusal = (fn: () => unknown): { path?: string, message: string } => {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(MeshdError)
    return { ...((err as MeshdError).path === undefined ? {} : { path: (err as MeshdError).path }), message: (err as Error).message }
  }
  throw new Error('expected a refusal')
}

describe('parseRule', () => {
  it.each([
    ['service.healthy < service.desired', { kind: 'service.unhealthy' }],
    ['service.healthy < service.desired service=web', { kind: 'service.unhealthy', service: 'web' }],
    ['  node.dead ', { kind: 'node.dead' }],
    ['replica.restarts > 3 in 5m', { kind: 'replica.restarts', above: 3, windowMs: 300_000 }],
    ['replica.restarts > 0 in 30s service=db', { kind: 'replica.restarts', above: 0, windowMs: 30_000, service: 'db' }],
    ['replica.cpu > 90%', { kind: 'replica.cpu', abovePercent: 90 }],
    ['service.errors > 1.5% service=api', { kind: 'service.errors', abovePercent: 1.5, service: 'api' }]
  ])('reads %j', (text, rule) => {
    expect(parseRule(text)).toEqual(rule)
  })

  it('writes every rule back in one canonical form', () => {
    for (const text of ['service.healthy < service.desired service=web', 'node.dead', 'replica.restarts > 3 in 5m', 'replica.cpu > 90%', 'service.errors > 1%']) {
      expect(formatRule(parseRule(text))).toBe(text)
    }
    expect(formatRule(parseRule('replica.restarts   >  3 in 300s'))).toBe('replica.restarts > 3 in 5m')
  })

  it.each([
    ['node.alive', /is not a rule; expected one of/],
    ['replica.cpu > 90', /is not a rule/],
    ['replica.restarts > 3 in forever', /"forever" is not a duration/],
    ['replica.restarts > 3 in 0s', /between 1s and 24h/],
    ['service.errors > 100%', /below 100%/],
    ['node.dead service=web', /takes no service/],
    ['replica.cpu > 90% service=Web!', /not a service name/],
    ['x'.repeat(300), /expected a rule/]
  ])('refuses %j naming `when`', (text, message) => {
    const { path, message: got } = refusal(() => parseRule(text))
    expect(path).toBe('when')
    expect(got).toMatch(message)
  })

  it('refuses a rule that is not a string', () => {
    expect(refusal(() => parseRule(3)).path).toBe('when')
  })
})

describe('webhooks', () => {
  it('takes http and https URLs only', () => {
    expect(parseWebhook('https://hooks.example/a?b=c')).toBe('https://hooks.example/a?b=c')
    expect(refusal(() => parseWebhook('ftp://x/')).message).toMatch(/got a ftp URL/)
    expect(refusal(() => parseWebhook('not a url')).path).toBe('notify.webhook')
    expect(refusal(() => parseWebhook('http://x/#frag')).message).toMatch(/fragment/)
    expect(refusal(() => parseWebhook('file:///etc/passwd')).path).toBe('notify.webhook')
  })

  it('redacts user name and password', () => {
    expect(redactWebhook('https://user:pa55@hooks.example/x')).toBe('https://redacted@hooks.example/x')
    expect(redactWebhook('https://hooks.example/x')).toBe('https://hooks.example/x')
    expect(redactWebhook('https://redacted@hooks.example/x')).not.toContain('pa55')
  })
})

describe('parseAlertRequest', () => {
  it('accepts a rule, a `for` and a webhook', () => {
    expect(parseAlertRequest({ when: 'node.dead', for: '30s', notify: { webhook: 'http://127.0.0.1:9/' } }))
      .toEqual({ when: 'node.dead', for: '30s', notify: { webhook: 'http://127.0.0.1:9/' } })
  })

  it.each([
    [{ when: 'node.dead', notify: { webhook: 'http://x/' }, extra: 1 }, 'extra'],
    [{ when: 'node.dead', for: 'soon', notify: { webhook: 'http://x/' } }, 'for'],
    [{ when: 'node.dead', for: 5, notify: { webhook: 'http://x/' } }, 'for'],
    [{ when: 'node.dead', for: '48h', notify: { webhook: 'http://x/' } }, 'for'],
    [{ when: 'node.dead' }, 'notify'],
    [{ when: 'node.dead', notify: { webhook: 'http://x/', slack: 'y' } }, 'notify.slack'],
    [{ when: 'node.dead', notify: { webhook: 'gopher://x/' } }, 'notify.webhook'],
    [{ notify: { webhook: 'http://x/' } }, 'when'],
    [[], 'body'],
    [JSON.parse('{"__proto__": {"x": 1}, "when": "node.dead"}'), '__proto__']
  ])('refuses %j naming %s', (body, path) => {
    expect(refusal(() => parseAlertRequest(body)).path).toBe(path)
  })
})
