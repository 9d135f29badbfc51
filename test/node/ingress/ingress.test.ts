// The Ingress part in process: upstreams are plain HTTP servers on loopback standing in
// for replicas, the view a plain one, and HTTPS uses a self-signed certificate made with
// openssl here, through a test-only IngressCertificates.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, request } from 'node:http'
import type { IncomingHttpHeaders, Server } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSecureContext } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClusterDocument } from '../../../src/crdt/index.ts'
import { Ingress } from '../../../src/node/ingress/index.ts'
import type { IngressCertificates } from '../../../src/node/ingress/index.ts'
import { silent } from '../../support/logger.ts'
import { replica, service, view } from '../cluster/helpers.ts'

const HOST = '127.0.0.1'
const HTTP_PORT = 18990
const HTTPS_PORT = 18991
const REFUSED = `${HOST}:18999`

interface Answer { status: number, body: string, headers: IncomingHttpHeaders }

async function get (host: string, path: string, opts: { method?: string, port?: number } = {}): Promise<Answer> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: HOST, port: opts.port ?? HTTP_PORT, path, method: opts.method ?? 'GET', headers: { host } }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body, headers: res.headers }) })
    })
    req.on('error', reject)
    req.end()
  })
}

describe('the Ingress part', () => {
  let upstream: Server
  let upstreamPort = 0
  let ingress: Ingress
  let certs: { dir: string, certificates: IngressCertificates }
  const document = { on: () => {}, off: () => {} } as unknown as ClusterDocument

  beforeAll(async () => {
    upstream = createServer((req, res) => { res.end(JSON.stringify({ url: req.url, headers: req.headers })) })
    await new Promise<void>((resolve) => upstream.listen(0, HOST, resolve))
    upstreamPort = (upstream.address() as { port: number }).port
    const dir = mkdtempSync(join(tmpdir(), 'meshd-ingress-test-'))
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=secure.test', '-addext', 'subjectAltName=DNS:secure.test',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
    const context = createSecureContext({ cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) })
    certs = { dir, certificates: { secureContext: (name) => name === 'secure.test' ? context : undefined, challenge: (token) => token === 'tok' ? 'tok.thumbprint' : undefined } }
    const ports = (endpoint: string) => [{ target: 80, endpoint }]
    const rule = (host: string, extra: Record<string, unknown> = {}) => ({ host, path: '/', port: 80, ...extra })
    ingress = new Ingress({
      host: HOST, httpPort: HTTP_PORT, httpsPort: HTTPS_PORT, document, log: silent, certificates: certs.certificates, listenRetryMs: 100,
      view: () => view({
        nodes: ['n1'],
        services: [
          service('web', { ports: [{ target: 80 }], ingress: [rule('web.test'), rule('secure.test', { tls: true })] }),
          service('flaky', { ports: [{ target: 80 }], ingress: [rule('flaky.test')] }),
          service('gone', { ports: [{ target: 80 }], ingress: [rule('gone.test')] }),
          service('idle', { ports: [{ target: 80 }], ingress: [rule('idle.test')] })
        ],
        replicas: [
          ['n1', replica('web', 0, { ports: ports(`${HOST}:${upstreamPort}`) })],
          ['n1', replica('flaky', 0, { ports: ports(`${HOST}:${upstreamPort}`) })],
          ['n1', replica('flaky', 1, { ports: ports(REFUSED) })],
          ['n1', replica('gone', 0, { ports: ports(REFUSED) })]
        ]
      })
    })
    await ingress.start()
    await ingress.start()
  })

  afterAll(async () => {
    await ingress.stop()
    await ingress.stop()
    upstream.close()
    rmSync(certs.dir, { recursive: true, force: true })
  })

  it('routes a request with the forwarding headers and echoes the request id', async () => {
    const answer = await get('web.test', '/x?y=1')
    expect(answer.status).toBe(200)
    const seen = JSON.parse(answer.body) as { url: string, headers: IncomingHttpHeaders }
    expect(seen.url).toBe('/x?y=1')
    expect(seen.headers['x-forwarded-for']).toBe(HOST)
    expect(seen.headers['x-forwarded-proto']).toBe('http')
    expect(seen.headers['x-forwarded-host']).toBe('web.test')
    expect(answer.headers['x-request-id']).toBe(seen.headers['x-request-id'])
  })

  it('sends an idempotent request again when a replica refuses, and answers 502 when none answers', async () => {
    for (let i = 0; i < 20; i++) expect(await get('flaky.test', '/')).toMatchObject({ status: 200 })
    expect(ingress.stats().routes.find((r) => r.service === 'flaky')?.retries).toBeGreaterThan(0)
    const gone = await get('gone.test', '/')
    expect(gone.status).toBe(502)
    expect(gone.body).toContain('ECONNREFUSED')
    expect((await get('gone.test', '/', { method: 'POST' })).status).toBe(502)
  })

  it('answers 404 without a route and 503 without a healthy replica', async () => {
    expect(await get('nobody.test', '/a/b?c')).toMatchObject({ status: 404, body: 'no route for nobody.test/a/b\n' })
    const idle = await get('idle.test', '/')
    expect(idle.status).toBe(503)
    expect(idle.headers['retry-after']).toBe('1')
  })

  it('answers ACME HTTP-01 challenges from the certificates', async () => {
    const answer = await get('anything.test', '/.well-known/acme-challenge/tok')
    expect(answer).toMatchObject({ status: 200, body: 'tok.thumbprint' })
    expect(answer.headers['content-type']).toBe('text/plain')
    expect((await get('anything.test', '/.well-known/acme-challenge/other')).status).toBe(404)
  })

  it('redirects a TLS route from HTTP to HTTPS, and serves it over HTTPS by SNI', async () => {
    const redirect = await get('secure.test', '/p?q=1')
    expect(redirect.status).toBe(308)
    expect(redirect.headers.location).toBe(`https://secure.test:${HTTPS_PORT}/p?q=1`)
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = httpsRequest({ host: HOST, port: HTTPS_PORT, servername: 'secure.test', path: '/s', headers: { host: 'secure.test' }, ca: readFileSync(join(certs.dir, 'cert.pem')) }, (res) => {
        let body = ''
        res.on('data', (c: Buffer) => { body += c.toString() })
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, body, headers: res.headers }) })
      })
      req.on('error', reject)
      req.end()
    })
    expect(answer.status).toBe(200)
    expect((JSON.parse(answer.body) as { headers: IncomingHttpHeaders }).headers['x-forwarded-proto']).toBe('https')
    const refused = await new Promise<Error>((resolve) => {
      const req = httpsRequest({ host: HOST, port: HTTPS_PORT, servername: 'other.test', path: '/', rejectUnauthorized: false }, () => { resolve(new Error('answered')) })
      req.on('error', resolve)
      req.end()
    })
    expect(refused.message).not.toBe('answered')
  })

  it('counts requests per route by status class', () => {
    const web = ingress.stats().routes.find((r) => r.host === 'web.test')!
    expect(web.requests['2xx']).toBeGreaterThan(0)
    expect(web.bytesOut).toBeGreaterThan(0)
    expect(ingress.stats().listening).toEqual({ http: HTTP_PORT, https: HTTPS_PORT })
  })

  it('retries a port it cannot bind instead of failing to start', async () => {
    const squatter = createNetServer()
    await new Promise<void>((resolve) => squatter.listen(18992, HOST, resolve))
    const late = new Ingress({ host: HOST, httpPort: 18992, httpsPort: 0, document, view: () => view(), log: silent, listenRetryMs: 100 })
    await late.start()
    expect(late.stats().problems).toEqual([{ port: 18992, error: 'EADDRINUSE' }])
    await new Promise<void>((resolve) => squatter.close(() => { resolve() }))
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(late.stats()).toMatchObject({ listening: { http: 18992 }, problems: [] })
    expect((await get('x.test', '/', { port: 18992 })).status).toBe(404)
    await late.stop()
  })
})
