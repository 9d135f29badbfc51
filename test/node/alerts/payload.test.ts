// Notifications in Alertmanager's webhook format, and their delivery: retried with
// backoff on failures, bounded, not retried on a refusal, from the node's own address.

import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AlertStateRecord } from '../../../src/crdt/index.ts'
import { fingerprintOf, postWebhook, webhookPayload, ZERO_TIME } from '../../../src/node/alerts/index.ts'

const firing: AlertStateRecord = {
  rule: 'node.dead|0s', state: 'firing', since: 1_700_000_002_000, startsAt: 1_700_000_000_000, fingerprint: fingerprintOf('down'),
  instances: [{ labels: { node: 'b' } }, { labels: { node: 'c' } }], updatedAt: 0
}

describe('webhookPayload', () => {
  it('is Alertmanager\'s version 4: a group per rule, an alert per instance', () => {
    const body = webhookPayload('down', 'node.dead', firing, 'firing', 'http://127.0.0.1:7700')
    expect(body).toMatchObject({
      version: '4', status: 'firing', receiver: 'meshd', truncatedAlerts: 0, groupKey: '{}:{alertname="down"}',
      groupLabels: { alertname: 'down' }, commonLabels: { alertname: 'down' }, commonAnnotations: { rule: 'node.dead' }, externalURL: 'http://127.0.0.1:7700'
    })
    expect(body.alerts).toEqual([
      { status: 'firing', labels: { alertname: 'down', node: 'b' }, annotations: { summary: 'down: node.dead for node=b', rule: 'node.dead' }, startsAt: '2023-11-14T22:13:20.000Z', endsAt: ZERO_TIME, generatorURL: 'http://127.0.0.1:7700/v1/alerts/down', fingerprint: fingerprintOf('down', { node: 'b' }) },
      expect.objectContaining({ labels: { alertname: 'down', node: 'c' }, fingerprint: fingerprintOf('down', { node: 'c' }) })
    ])
    expect(body.alerts[0]!.fingerprint).toMatch(/^[0-9a-f]{16}$/)
  })

  it('resolved: the episode\'s instances with endsAt', () => {
    const body = webhookPayload('down', 'node.dead', { ...firing, state: 'inactive', endsAt: 1_700_000_060_000 }, 'resolved', 'http://x')
    expect(body.status).toBe('resolved')
    expect(body.alerts.map((a) => [a.status, a.endsAt])).toEqual([['resolved', '2023-11-14T22:14:20.000Z'], ['resolved', '2023-11-14T22:14:20.000Z']])
    expect(body.commonLabels).toEqual({ alertname: 'down' })
  })
})

describe('postWebhook', () => {
  const answers: number[] = []
  const seen: Array<{ body: unknown, from: string | undefined }> = []
  const server = createServer((req, res) => {
    let text = ''
    req.on('data', (c: Buffer) => { text += c.toString() })
    req.on('end', () => {
      seen.push({ body: JSON.parse(text), from: req.socket.remoteAddress })
      res.statusCode = answers.shift() ?? 200
      res.end()
    })
  })
  let url = ''
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
  })
  afterAll(async () => { await new Promise((resolve) => server.close(resolve)) })

  it('retries a failing receiver with backoff until it accepts, from the given address', async () => {
    seen.length = 0
    answers.push(503, 500)
    const delivery = await postWebhook(url, { n: 1 }, { backoffMs: 10, localAddress: '127.0.0.1' })
    expect(delivery).toEqual({ ok: true, attempts: 3 })
    expect(seen.map((s) => s.from)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1'])
  })

  it('gives up after the attempts, and at once on a refusal', async () => {
    seen.length = 0
    answers.push(500, 500, 500)
    expect(await postWebhook(url, {}, { backoffMs: 1, attempts: 3 })).toEqual({ ok: false, attempts: 3, error: 'answered 500' })
    answers.push(400)
    expect(await postWebhook(url, {}, { backoffMs: 1 })).toEqual({ ok: false, attempts: 1, error: 'answered 400' })
  })

  it('reports a receiver that is not there', async () => {
    const delivery = await postWebhook('http://127.0.0.1:1/', {}, { backoffMs: 1, attempts: 2 })
    expect(delivery).toMatchObject({ ok: false, attempts: 2 })
    expect(delivery.error).toMatch(/ECONNREFUSED/)
  })
})
