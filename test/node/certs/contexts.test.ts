import { readFileSync } from 'node:fs'
import { X509Certificate } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { AcmeRecord, CertRecord } from '../../../src/crdt/index.ts'
import { CertificateContexts, openCertKey, sealCertKey } from '../../../src/node/certs/index.ts'
import { secretsKeyOf } from '../../../src/node/stored/index.ts'
import { silent } from '../../support/logger.ts'

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/certs/${name}`, import.meta.url), 'utf8')
const secretsKey = secretsKeyOf(Buffer.from('the cluster secret'))
const NOW = Date.parse('2030-01-01T00:00:00Z')

function record (host: string, name: 'a' | 'wild', notAfter = Date.parse(new X509Certificate(fixture(`${name}.crt`)).validTo), sig = 's1'): CertRecord {
  return { certificate: fixture(`${name}.crt`), key: sealCertKey(secretsKey, host, fixture(`${name}.key`)), notAfter, fingerprint: new X509Certificate(fixture(`${name}.crt`)).fingerprint256, source: 'manual', issuedBy: 'n', updatedAt: 1, sig }
}

describe('the SecureContext cache', () => {
  it('serves the exact host first, then its wildcard, and nothing else', () => {
    const certs: Record<string, CertRecord> = { 'a.test': record('a.test', 'a'), '*.w.test': record('*.w.test', 'wild') }
    const contexts = new CertificateContexts({ certs: () => certs, acme: () => ({}), secretsKey, log: silent, now: () => NOW })
    expect(contexts.secureContext('a.test')).toBeDefined()
    expect(contexts.secureContext('A.TEST.')).toBe(contexts.secureContext('a.test'))
    expect(contexts.secureContext('x.w.test')).toBeDefined()
    expect(contexts.secureContext('x.w.test')).toBe(contexts.secureContext('y.w.test')) // one context per record
    expect(contexts.secureContext('w.test')).toBeUndefined()
    expect(contexts.secureContext('b.test')).toBeUndefined()
    expect(contexts.secureContext('a.b.w.test')).toBeUndefined()
  })

  it('keeps a context until its record is written again, and never serves an expired one', () => {
    const certs: Record<string, CertRecord> = { 'a.test': record('a.test', 'a') }
    const contexts = new CertificateContexts({ certs: () => certs, acme: () => ({}), secretsKey, log: silent, now: () => NOW })
    const first = contexts.secureContext('a.test')
    expect(contexts.secureContext('a.test')).toBe(first)
    certs['a.test'] = { ...certs['a.test']!, sig: 's2' }
    expect(contexts.secureContext('a.test')).not.toBe(first)
    certs['a.test'] = record('a.test', 'a', NOW)
    expect(contexts.secureContext('a.test')).toBeUndefined()
  })

  it('refuses a key sealed for another host or another cluster', () => {
    const moved = { ...record('a.test', 'a'), key: sealCertKey(secretsKey, 'other.test', fixture('a.key')) }
    const foreign = { ...record('a.test', 'a'), key: sealCertKey(secretsKeyOf(Buffer.from('another cluster')), 'a.test', fixture('a.key')) }
    for (const bad of [moved, foreign]) {
      const contexts = new CertificateContexts({ certs: () => ({ 'a.test': bad }), acme: () => ({}), secretsKey, log: silent, now: () => NOW })
      expect(contexts.secureContext('a.test')).toBeUndefined()
    }
    expect(openCertKey(secretsKey, 'a.test', record('a.test', 'a').key)).toBe(fixture('a.key'))
  })

  it('answers the challenges of every host being issued, and only well-formed tokens', () => {
    const acme: Record<string, AcmeRecord> = {
      'a.test': { challenges: { tok1: 'tok1.answer' }, attempts: 0, updatedAt: 1 },
      'b.test': { attempts: 0, updatedAt: 1 }
    }
    const contexts = new CertificateContexts({ certs: () => ({}), acme: () => acme, secretsKey, log: silent })
    expect(contexts.challenge('tok1')).toBe('tok1.answer')
    expect(contexts.challenge('tok2')).toBeUndefined()
    expect(contexts.challenge('../tok1')).toBeUndefined()
    expect(contexts.challenge('constructor')).toBeUndefined()
  })
})
