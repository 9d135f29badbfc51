// Bad input through the real HTTP API (issue 2, acceptance 7): each request gets a
// 4xx naming the field, the document stays byte-identical, the daemon keeps serving.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, cleanupAll, IMAGE, startDaemon } from '../../support/daemon.ts'
import type { TestDaemon } from '../../support/daemon.ts'

const good = { name: 'web', image: IMAGE, command: ['httpd', '-f', '-p', '8080', '-h', '/www'], replicas: 0, ports: [{ published: 18090, target: 8080 }] }

interface Case { what: string, method?: string, path?: string, body?: unknown, raw?: string | Buffer, headers?: Record<string, string>, status: number, field: string }

const cases: Case[] = [
  { what: 'replicas as a string', body: { ...good, replicas: '3' }, status: 400, field: 'replicas' },
  { what: 'negative replicas', body: { ...good, replicas: -1 }, status: 400, field: 'replicas' },
  { what: 'fractional replicas', body: { ...good, replicas: 1.5 }, status: 400, field: 'replicas' },
  { what: 'huge replicas', body: { ...good, replicas: 1e9 }, status: 400, field: 'replicas' },
  { what: 'null replicas', body: { ...good, replicas: null }, status: 400, field: 'replicas' },
  { what: 'uppercase name', path: '/v1/services/Web', body: { ...good, name: 'Web' }, status: 400, field: 'name' },
  { what: 'name of 64 characters', path: `/v1/services/${'a'.repeat(64)}`, body: { ...good, name: 'a'.repeat(64) }, status: 400, field: 'name' },
  { what: 'name with an underscore', path: '/v1/services/my_web', body: { ...good, name: 'my_web' }, status: 400, field: 'name' },
  { what: 'name differing from the URL', body: { ...good, name: 'other' }, status: 400, field: 'name' },
  { what: 'an unknown top-level field', body: { ...good, privileged: true }, status: 400, field: 'privileged' },
  { what: 'an unknown port field', body: { ...good, ports: [{ published: 18090, target: 8080, mode: 'host' }] }, status: 400, field: 'ports[0].mode' },
  { what: '__proto__ at the top level', raw: `{"__proto__":{"admin":true},${JSON.stringify(good).slice(1)}`, status: 400, field: '__proto__' },
  { what: '__proto__ in env', raw: JSON.stringify({ ...good, env: { A: '1' } }).replace('"A":"1"', '"__proto__":"x"'), status: 400, field: 'env.__proto__' },
  { what: 'constructor in labels', body: { ...good, labels: { constructor: 'x' } }, status: 400, field: 'labels.constructor' },
  { what: 'a 10 MB body', raw: JSON.stringify({ ...good, env: { BIG: 'x'.repeat(10 * 1024 * 1024) } }), status: 413, field: 'body' },
  { what: 'invalid JSON', raw: '{"name": "web", ', status: 400, field: 'body' },
  { what: 'an empty body', raw: '', headers: { 'content-type': 'application/json' }, status: 400, field: 'body' },
  { what: 'a non-JSON content type', raw: 'name=web', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, field: 'content-type' },
  { what: 'a JSON array body', body: [good], status: 400, field: '' },
  { what: 'an uppercase image', body: { ...good, image: 'Meshd/BusyBox' }, status: 400, field: 'image' },
  { what: 'an image with spaces', body: { ...good, image: 'busy box' }, status: 400, field: 'image' },
  { what: 'a bad digest', body: { ...good, image: 'busybox@sha256:123' }, status: 400, field: 'image' },
  { what: 'published port 0', body: { ...good, ports: [{ published: 0, target: 8080 }] }, status: 400, field: 'ports[0].published' },
  { what: 'target port 70000', body: { ...good, ports: [{ published: 18090, target: 70000 }] }, status: 400, field: 'ports[0].target' },
  { what: 'a published port used twice', body: { ...good, ports: [{ published: 18090, target: 8080 }, { published: 18090, target: 8081 }] }, status: 400, field: 'ports[1].published' },
  { what: 'a port published by another service', path: '/v1/services/api', body: { ...good, name: 'api', ports: [{ published: 18091, target: 80 }] }, status: 409, field: 'ports[0].published' },
  { what: 'a command that is a string', body: { ...good, command: 'httpd -f' }, status: 400, field: 'command' },
  { what: 'an env value that is a number', body: { ...good, env: { PORT: 8080 } }, status: 400, field: 'env.PORT' },
  { what: 'a health type that does not exist', body: { ...good, health: { type: 'grpc' } }, status: 400, field: 'health.type' },
  { what: 'a health interval without a unit', body: { ...good, health: { type: 'tcp', interval: '5' } }, status: 400, field: 'health.interval' },
  { what: 'a cmd health check without cmd', body: { ...good, health: { type: 'cmd' } }, status: 400, field: 'health.cmd' },
  { what: 'a reserved label', body: { ...good, labels: { 'meshd.node': 'x' } }, status: 400, field: 'labels["meshd.node"]' },
  { what: 'scale with a negative count', method: 'POST', path: '/v1/services/holder/scale', body: { replicas: -2 }, status: 400, field: 'replicas' },
  { what: 'scale with an extra field', method: 'POST', path: '/v1/services/holder/scale', body: { replicas: 2, force: true }, status: 400, field: 'force' },
  { what: 'scale of a missing service', method: 'POST', path: '/v1/services/ghost/scale', body: { replicas: 2 }, status: 404, field: 'name' }
]

describe('the API rejects bad input and changes nothing', () => {
  let daemon: TestDaemon

  beforeAll(async () => {
    daemon = await startDaemon({ name: 'test-api', host: '127.0.0.22' })
    const holder = await api(daemon.api, 'PUT', '/v1/services/holder', { ...good, name: 'holder', ports: [{ published: 18091, target: 8080 }] })
    expect(holder.status).toBe(201)
  })
  afterAll(cleanupAll)

  it(`has at least twenty kinds of bad input (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(20)
  })

  it.each(cases)('$what → $status naming "$field"', async (c) => {
    const before = await api(daemon.api, 'GET', '/v1/debug/document')
    const response = await api(daemon.api, c.method ?? 'PUT', c.path ?? '/v1/services/web', c.body, c.raw, c.headers)
    expect(response.status).toBe(c.status)
    expect(response.body.error.code).toMatch(/^MESHD_/)
    expect(response.body.error.path).toBe(c.field)
    expect(response.body.error.message.length).toBeGreaterThan(0)
    const after = await api(daemon.api, 'GET', '/v1/debug/document')
    expect(after.body).toEqual(before.body)
    expect((await api(daemon.api, 'GET', '/v1/health')).status).toBe(200)
  })

  it('still accepts a good spec afterwards', async () => {
    const response = await api(daemon.api, 'PUT', '/v1/services/web', good)
    expect(response.status).toBe(201)
    expect((await api(daemon.api, 'GET', '/v1/services')).body.map((s: { spec: { name: string } }) => s.spec.name)).toEqual(['holder', 'web'])
  })

  it('answers unknown routes with a MESHD error', async () => {
    const response = await api(daemon.api, 'GET', '/v1/nope')
    expect(response.status).toBe(404)
    expect(response.body.error.code).toBe('MESHD_NOT_FOUND')
  })
})
