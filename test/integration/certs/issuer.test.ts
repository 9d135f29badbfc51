// The ACME issuer against a real CA (Debian's pebble): a TLS route's host gets a
// certificate in the document, which the SecureContext cache serves and which verifies
// against pebble's root; a host the CA cannot validate is recorded as failed, with its
// backoff and a cert.failed event.
//
// The issuer alone, in this process: the test answers /.well-known/acme-challenge/ from
// CertificateContexts.challenge() with a tiny http.createServer on 127.0.0.196, as the
// ingress does; test/integration/ingress/acme.test.ts goes through three nodes' ingress.

import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { connect } from 'node:tls'
import { createServer as createTlsServer } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import type { AcmeRecord, ServiceRecord } from '../../../src/crdt/index.ts'
import { clusterView } from '../../../src/node/cluster/index.ts'
import { CertDriver, CertificateContexts } from '../../../src/node/certs/index.ts'
import type { EventInput } from '../../../src/node/events/index.ts'
import { secretsKeyOf } from '../../../src/node/stored/index.ts'
import { silent } from '../../support/logger.ts'
import { startDns } from '../../support/dns-answers.ts'
import type { DnsAnswers } from '../../support/dns-answers.ts'
import { startPebble } from '../../support/pebble.ts'
import type { Pebble } from '../../support/pebble.ts'
import { waitFor } from '../../support/wait.ts'

const HOST = '127.0.0.196'
const PEBBLE_PORT = 18880
const HTTP_PORT = 18882
const DNS_PORT = 18884
const TLS_PORT = 18885

describe('the ACME issuer against pebble', () => {
  let pebble: Pebble
  let dns: DnsAnswers
  let challengeServer: Server
  let driver: CertDriver
  const document = new ClusterDocument({ log: silent })
  const secretsKey = secretsKeyOf(Buffer.from('a cluster secret of this test'))
  const events: EventInput[] = []
  const contexts = new CertificateContexts({ certs: () => document.certs(), acme: () => document.acme(), secretsKey, log: silent })

  beforeAll(async () => {
    await document.start()
    document.putNode('self', { name: 'self', host: HOST, apiPort: 1, p2pPort: 2, labels: {}, draining: false, startedAt: 1 })
    dns = await startDns(HOST, DNS_PORT)
    dns.set('good.test', [HOST])
    dns.set('bad.test', ['127.0.0.1']) // nothing answers there on HTTP_PORT
    pebble = await startPebble({ host: HOST, port: PEBBLE_PORT, httpPort: HTTP_PORT, dns: `${HOST}:${DNS_PORT}` })
    // What the ingress' HTTP server does with a challenge.
    challengeServer = createServer((req, res) => {
      const token = /^\/\.well-known\/acme-challenge\/([^/?]+)$/.exec(req.url ?? '')?.[1]
      const answer = token === undefined ? undefined : contexts.challenge(token)
      res.writeHead(answer === undefined ? 404 : 200, { 'content-type': 'text/plain' }).end(answer ?? 'not found')
    })
    await new Promise<void>((resolve) => challengeServer.listen(HTTP_PORT, HOST, resolve))
    driver = new CertDriver({
      document, secretsKey, log: silent, tickMs: 200, settleMs: 100,
      view: () => clusterView(document.snapshot(), 'self', () => 'alive', Date.now()),
      certs: () => document.certs(), acme: () => document.acme(),
      settings: { directory: pebble.directory, email: 'ops@example.com', ca: pebble.caPem },
      events: { emit: (event) => { events.push(event) } }
    })
    driver.start()
  }, 30_000)

  afterAll(async () => {
    await driver?.stop()
    await new Promise((resolve) => challengeServer?.close(resolve))
    await pebble?.stop()
    await dns?.close()
    await document.stop()
  })

  it('issues a TLS route\'s certificate once, into the document, and serves it', async () => {
    document.putService('web', { spec: { name: 'web', ingress: [{ host: 'good.test', port: 80, tls: true }] }, generation: 1, createdAt: 1, updatedAt: 1 } as unknown as ServiceRecord)
    const cert = await waitFor(() => document.certs()['good.test'], { timeoutMs: 45_000, what: 'the certificate of good.test' })
    expect(cert.source).toBe('acme')
    expect(cert.issuedBy).toBe('self')
    expect(cert.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
    expect(cert.notAfter).toBeGreaterThan(Date.now())
    expect(JSON.stringify(cert)).not.toMatch(/PRIVATE KEY/)
    expect(JSON.stringify(document.acme())).not.toMatch(/PRIVATE KEY/)
    const record = document.acme()['good.test'] as AcmeRecord
    expect(record.lease).toBeUndefined()
    expect(record.challenges).toBeUndefined()
    expect(record.attempts).toBe(0)
    expect(document.acme()['@account']).toBeDefined()
    expect(events.filter((e) => e.kind === 'cert.issued').map((e) => [e.host, e.service])).toEqual([['good.test', 'web']])

    // Served through a SNICallback from the cache, and it verifies against pebble's root.
    const server = createTlsServer({ SNICallback: (name, cb) => { cb(null, contexts.secureContext(name)) } }, (socket) => socket.end('hello'))
    await new Promise<void>((resolve) => server.listen(TLS_PORT, HOST, resolve))
    try {
      const root = await pebble.root()
      const peer = await new Promise<{ fingerprint: string, authorized: boolean }>((resolve, reject) => {
        const socket = connect({ host: HOST, port: TLS_PORT, servername: 'good.test', ca: root }, () => {
          resolve({ fingerprint: socket.getPeerX509Certificate()!.fingerprint256, authorized: socket.authorized })
          socket.end()
        })
        socket.on('error', reject)
      })
      expect(peer).toEqual({ fingerprint: cert.fingerprint, authorized: true })
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  }, 60_000)

  it('records a failure, its backoff and a cert.failed event when the CA cannot validate', async () => {
    document.putService('bad', { spec: { name: 'bad', ingress: [{ host: 'bad.test', port: 80, tls: true }] }, generation: 1, createdAt: 1, updatedAt: 1 } as unknown as ServiceRecord)
    const record = await waitFor(() => {
      const r = document.acme()['bad.test'] as AcmeRecord | undefined
      return r?.lastError === undefined ? undefined : r
    }, { timeoutMs: 45_000, what: 'the failure of bad.test' })
    expect(record.attempts).toBe(1)
    expect(record.lease).toBeUndefined()
    expect(record.nextAttemptAt! - record.updatedAt).toBe(10_000)
    expect(record.lastError).toMatch(/\S/)
    expect(document.certs()['bad.test']).toBeUndefined()
    expect(events.some((e) => e.kind === 'cert.failed' && e.host === 'bad.test' && e.service === 'bad')).toBe(true)
    console.log('bad.test failed as expected:', record.lastError)
  }, 60_000)
})
