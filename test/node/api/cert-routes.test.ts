// The routes of TLS certificates: operators and admins write, any token reads, a bad
// certificate is refused naming its field with nothing written, the key is sealed in the
// document and appears in no answer.

import { readFileSync } from 'node:fs'
import { X509Certificate } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import type { ServiceRecord } from '../../../src/crdt/index.ts'
import { openCertKey } from '../../../src/node/certs/index.ts'
import { apiFixture } from '../../support/api.ts'

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/certs/${name}`, import.meta.url), 'utf8')
const secretsKey = Buffer.alloc(32, 7)
const { document, app, call, operator, deployer, viewer } = apiFixture({ secretsKey })
const given = { certificate: fixture('a.crt'), key: fixture('a.key') }

describe('certificate routes', () => {
  afterAll(async () => { await app.close() })

  it('let only operators and admins write, and nobody without a token read', async () => {
    expect((await call('GET', '/v1/certs')).statusCode).toBe(401)
    expect((await call('PUT', '/v1/certs/a.test', undefined, given)).statusCode).toBe(401)
    expect((await call('PUT', '/v1/certs/a.test', viewer, given)).statusCode).toBe(403)
    expect((await call('PUT', '/v1/certs/a.test', deployer, given)).statusCode).toBe(403)
    expect(document.certs()).toEqual({})
  })

  it('refuse a bad certificate naming the field, writing nothing', async () => {
    for (const [host, body, path] of [
      ['a.test', { ...given, certificate: 'nope' }, 'certificate'],
      ['a.test', { ...given, key: fixture('other.key') }, 'key'],
      ['b.test', given, 'certificate'],
      ['a.test', { ...given, extra: 1 }, 'extra'],
      ['Bad_Host', given, 'host']
    ] as const) {
      const answer = await call('PUT', `/v1/certs/${host}`, operator, body)
      expect(answer.statusCode, path).toBe(400)
      expect(answer.json().error.path).toBe(path)
      expect(answer.body).not.toContain('PRIVATE KEY')
    }
    expect(document.certs()).toEqual({})
  })

  it('write a certificate with its key sealed, and show it to any token without the key', async () => {
    const added = await call('PUT', '/v1/certs/a.test', operator, given)
    expect(added.statusCode).toBe(201)
    const fingerprint = new X509Certificate(given.certificate).fingerprint256
    expect(added.json()).toMatchObject({ host: 'a.test', fingerprint, source: 'manual', issuedBy: 'n1', state: 'valid' })
    const stored = document.certs()['a.test']!
    expect(JSON.stringify(stored)).not.toContain('PRIVATE KEY')
    expect(openCertKey(secretsKey, 'a.test', stored.key)).toMatch(/^-----BEGIN PRIVATE KEY-----/)
    expect((await call('PUT', '/v1/certs/a.test', operator, given)).statusCode).toBe(200)

    document.putService('shop', { spec: { name: 'shop', image: 'meshd/busybox:latest', replicas: 0, env: {}, ports: [{ target: 80 }], labels: {}, ingress: [{ host: 'shop.test', port: 80, tls: true }] }, generation: 1, createdAt: 0, updatedAt: 0 } as unknown as ServiceRecord)
    const listed = await call('GET', '/v1/certs', viewer)
    expect(listed.statusCode).toBe(200)
    expect(listed.body).not.toContain('PRIVATE KEY')
    expect(listed.body).not.toContain(stored.key.data)
    expect(listed.json()).toEqual([
      expect.objectContaining({ host: 'a.test', fingerprint, state: 'valid', services: [] }),
      { host: 'shop.test', services: ['shop'], state: 'waiting' }
    ])
    expect((await call('GET', '/v1/certs/shop.test', viewer)).json()).toMatchObject({ host: 'shop.test', state: 'waiting' })
    expect((await call('GET', '/v1/certs/none.test', viewer)).json().error.code).toBe('MESHD_CERT_NOT_FOUND')
    // The service view shows its TLS routes' certificates.
    expect((await call('GET', '/v1/services/shop', viewer)).json().certificates).toEqual([{ host: 'shop.test', state: 'waiting' }])
  })

  it('remove a certificate (operators and admins), and say when there is none', async () => {
    expect((await call('DELETE', '/v1/certs/a.test', viewer)).statusCode).toBe(403)
    expect((await call('DELETE', '/v1/certs/a.test', operator)).json()).toEqual({ removed: 'a.test' })
    expect(document.certs()).toEqual({})
    expect((await call('DELETE', '/v1/certs/a.test', operator)).json().error.code).toBe('MESHD_CERT_NOT_FOUND')
  })

  it('take a wildcard host', async () => {
    const added = await call('PUT', '/v1/certs/*.w.test', operator, { certificate: fixture('wild.crt'), key: fixture('wild.key') })
    expect(added.statusCode).toBe(201)
    expect(added.json()).toMatchObject({ host: '*.w.test', source: 'manual', state: 'valid' })
    expect(Object.keys(document.certs())).toEqual(['*.w.test'])
  })
})
