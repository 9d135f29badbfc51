import { readFileSync } from 'node:fs'
import { X509Certificate } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { certificateProblem, checkCertificate, covers } from '../../../src/node/certs/index.ts'
import { MeshdError } from '../../../src/node/errors.ts'

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/certs/${name}`, import.meta.url), 'utf8')
const NOW = Date.parse('2030-01-01T00:00:00Z')

function refusal (fn: () => unknown): { path?: string, message: string, status: number } {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(MeshdError)
    const e = err as MeshdError
    return { ...(e.path === undefined ? {} : { path: e.path }), message: e.message, status: e.status }
  }
  throw new Error('expected a refusal')
}

describe('a certificate given by hand', () => {
  it('passes when it parses, its key matches, it covers the host and has not expired', () => {
    const checked = checkCertificate('a.test', fixture('a.crt'), fixture('a.key'), NOW)
    const leaf = new X509Certificate(fixture('a.crt'))
    expect(checked.fingerprint).toBe(leaf.fingerprint256)
    expect(checked.notAfter).toBe(Date.parse(leaf.validTo))
    expect(checked.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/)
    expect(checked.certificate).toMatch(/^-----BEGIN CERTIFICATE-----[\s\S]*-----END CERTIFICATE-----\n$/)
  })

  it('covers a host under its wildcard, and a wildcard host only by the same wildcard', () => {
    expect(checkCertificate('x.w.test', fixture('a.crt'), fixture('a.key'), NOW).fingerprint).toMatch(/:/)
    expect(checkCertificate('*.w.test', fixture('wild.crt'), fixture('wild.key'), NOW).fingerprint).toMatch(/:/)
    const wild = new X509Certificate(fixture('wild.crt'))
    expect(covers(wild, 'w.test')).toBe(false) // a wildcard covers one label, not the domain itself
    expect(covers(wild, 'a.b.w.test')).toBe(false)
    expect(covers(new X509Certificate(fixture('a.crt')), '*.test')).toBe(false)
  })

  it('refuses, naming the field, and says why', () => {
    expect(refusal(() => checkCertificate('a.test', 'not pem', fixture('a.key'), NOW))).toMatchObject({ path: 'certificate', status: 400 })
    expect(refusal(() => checkCertificate('a.test', fixture('a.key'), fixture('a.key'), NOW))).toMatchObject({ path: 'certificate' })
    expect(refusal(() => checkCertificate('a.test', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', fixture('a.key'), NOW)).message).toMatch(/^certificate: block 1 is not an X.509 certificate/)
    expect(refusal(() => checkCertificate('a.test', fixture('a.crt'), 'nope', NOW))).toMatchObject({ path: 'key', message: 'key: is not a PEM private key' })
    expect(refusal(() => checkCertificate('a.test', fixture('a.crt'), fixture('other.key'), NOW))).toMatchObject({ path: 'key', message: expect.stringMatching(/does not match the certificate/) })
    expect(refusal(() => checkCertificate('a.test', fixture('a.crt'), fixture('a-encrypted.key'), NOW)).message).toMatch(/^key: is encrypted/)
    expect(refusal(() => checkCertificate('b.test', fixture('a.crt'), fixture('a.key'), NOW)).message).toBe('certificate: does not cover b.test: its DNS names are DNS:a.test, DNS:*.w.test')
    expect(refusal(() => checkCertificate('a.test', fixture('nosan.crt'), fixture('nosan.key'), NOW)).message).toBe('certificate: does not cover a.test: its DNS names are none')
    expect(refusal(() => checkCertificate('a.test', fixture('a.crt'), fixture('a.key'), Date.parse('2200-01-01T00:00:00Z'))).message).toMatch(/^certificate: expired on /)
    expect(refusal(() => checkCertificate('A_B', fixture('a.crt'), fixture('a.key'), NOW))).toMatchObject({ path: 'host' })
    expect(refusal(() => checkCertificate('a.test', 42, fixture('a.key'), NOW))).toMatchObject({ path: 'certificate' })
    expect(refusal(() => checkCertificate('a.test', fixture('a.crt'), undefined, NOW))).toMatchObject({ path: 'key' })
  })

  it('never echoes the key in a refusal', () => {
    const key = fixture('other.key')
    const { message } = refusal(() => checkCertificate('a.test', fixture('a.crt'), key, NOW))
    expect(message).not.toContain('PRIVATE')
  })
})

describe('a stored chain', () => {
  it('holds certificates only: a key in plaintext there is a problem', () => {
    expect(certificateProblem(fixture('a.crt'))).toBeUndefined()
    expect(certificateProblem(fixture('a.crt') + fixture('a.key'))).toMatch(/key in plaintext/)
    expect(certificateProblem('')).toMatch(/expected PEM CERTIFICATE blocks/)
  })
})
