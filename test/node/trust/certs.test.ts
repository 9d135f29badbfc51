// A peer's certificates and ACME records are believed only in the shape the API and the
// issuer write them: the key sealed (a PEM in its place is a key in plaintext), filed
// under a host, challenges as tokens and key authorizations.

import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { recordProblem } from '../../../src/node/trust/index.ts'

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/certs/${name}`, import.meta.url), 'utf8')
const sealed = { nonce: 'AAAAAAAAAAAAAAAA', data: 'QUJD', key: 'QUJD' }
const fingerprint = Array.from({ length: 32 }, () => 'AB').join(':')
const cert = { certificate: fixture('a.crt'), key: sealed, notAfter: 2, fingerprint, source: 'acme', issuedBy: 'n1', updatedAt: 1 }
const thumb = 'a'.repeat(43)

describe('certificate records from peers', () => {
  it('accepts what the API and the issuer write', () => {
    expect(recordProblem('certs', 'a.test', cert)).toBeUndefined()
    expect(recordProblem('certs', '*.w.test', { ...cert, source: 'manual' })).toBeUndefined()
    expect(recordProblem('acme', 'a.test', { lease: { node: 'n1', until: 5 }, challenges: { tok: `tok.${thumb}` }, attempts: 0, updatedAt: 1 })).toBeUndefined()
    expect(recordProblem('acme', 'a.test', { attempts: 3, lastError: 'no', nextAttemptAt: 9, updatedAt: 1 })).toBeUndefined()
    expect(recordProblem('acme', '@account', { key: sealed, email: 'ops@example.com', createdAt: 1, updatedAt: 1 })).toBeUndefined()
  })

  it('refuses a key in plaintext, wherever it is put', () => {
    expect(recordProblem('certs', 'a.test', { ...cert, key: fixture('a.key') })).toMatch(/^key: /)
    expect(recordProblem('certs', 'a.test', { ...cert, key: { ...sealed, pem: fixture('a.key') } })).toMatch(/^key: /)
    expect(recordProblem('certs', 'a.test', { ...cert, certificate: cert.certificate + fixture('a.key') })).toMatch(/key in plaintext/)
    expect(recordProblem('acme', '@account', { key: fixture('a.key'), createdAt: 1, updatedAt: 1 })).toMatch(/^key: /)
  })

  it('refuses a certificate or a lease written by another node than the one it names', () => {
    expect(recordProblem('certs', 'a.test', { ...cert, by: 'n1', sig: 'x' })).toBeUndefined()
    expect(recordProblem('certs', 'a.test', { ...cert, by: 'n2', sig: 'x' })).toMatch(/^issuedBy: /)
    const acme = { lease: { node: 'n1', until: 5 }, challenges: { tok: `tok.${thumb}` }, attempts: 0, updatedAt: 1 }
    expect(recordProblem('acme', 'a.test', { ...acme, by: 'n1', sig: 'x' })).toBeUndefined()
    expect(recordProblem('acme', 'a.test', { ...acme, by: 'n2', sig: 'x' })).toMatch(/^lease: /)
  })

  it('refuses records filed under no host, and malformed challenges or fields', () => {
    expect(recordProblem('certs', 'Not A Host', cert)).toMatch(/not a host/)
    expect(recordProblem('acme', 'a..test', { attempts: 0, updatedAt: 1 })).toMatch(/not a host/)
    expect(recordProblem('certs', 'a.test', { ...cert, source: 'stolen' })).toMatch(/^source: /)
    expect(recordProblem('certs', 'a.test', { ...cert, fingerprint: 'x' })).toMatch(/^fingerprint: /)
    expect(recordProblem('acme', 'a.test', { challenges: { 'bad token!': `x.${thumb}` }, attempts: 0, updatedAt: 1 })).toMatch(/^challenges/)
    expect(recordProblem('acme', 'a.test', { challenges: { tok: '<script>' }, attempts: 0, updatedAt: 1 })).toMatch(/^challenges/)
    expect(recordProblem('acme', 'a.test', { attempts: -1, updatedAt: 1 })).toMatch(/^attempts: /)
  })
})
