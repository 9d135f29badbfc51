import { describe, expect, it } from 'vitest'
import type { AcmeRecord, CertRecord, NodeRecord, ServiceRecord } from '../../../src/crdt/index.ts'
import { clusterView, coordinatorOf } from '../../../src/node/cluster/index.ts'
import { backoffMs, certificateFor, hostProblem, issuerOf, leaseHolder, mayIssue, needsCertificate, servicesOf, tlsHosts, wildcardOf } from '../../../src/node/certs/index.ts'

const DAY = 24 * 3600_000
const NOW = 1_000 * DAY
const node = (name: string): NodeRecord => ({ name, host: '127.0.0.1', apiPort: 1, p2pPort: 2, labels: {}, draining: false, startedAt: 0 })
const nodes = { a: node('a'), b: node('b'), c: node('c') }
const view = (self: string, dead: string[] = [], services: Record<string, ServiceRecord> = {}) =>
  clusterView({ services, nodes, replicas: [], rollouts: {}, drains: {}, removals: {}, autoscale: {} }, self, (id) => dead.includes(id) ? 'dead' : 'alive', NOW)
const service = (ingress: unknown): ServiceRecord => ({ spec: { name: 'x', ingress }, generation: 1, createdAt: 0, updatedAt: 0 }) as unknown as ServiceRecord
const cert = (notAfter: number, source: CertRecord['source'] = 'manual'): CertRecord =>
  ({ certificate: '', key: { nonce: '', data: '', key: '' }, notAfter, fingerprint: 'F', source, issuedBy: 'a', updatedAt: 0 })

describe('host names', () => {
  it('takes DNS names and one leading wildcard, lowercase', () => {
    for (const ok of ['a.test', 'localhost', 'x-1.example.com', '*.example.com']) expect(hostProblem(ok)).toBeUndefined()
    for (const bad of ['', 'A.test', 'a..test', '-a.test', 'a.*.test', '*.com', 'a_b.test', `${'a'.repeat(64)}.test`, 'a.test.', '*']) expect(hostProblem(bad)).toBeDefined()
  })

  it('finds the wildcard that covers a host', () => {
    expect(wildcardOf('a.example.com')).toBe('*.example.com')
    expect(wildcardOf('localhost')).toBeUndefined()
    expect(wildcardOf('*.example.com')).toBeUndefined()
  })
})

describe('the hosts that need a certificate', () => {
  it('are the TLS routes\' hosts, without wildcards (HTTP-01 cannot issue them) or names that are not hosts', () => {
    const services = {
      web: service([{ host: 'b.test', port: 80, tls: true }, { host: 'a.test', port: 80, tls: true }, { host: 'plain.test', port: 80 }]),
      api: service([{ host: 'a.test', path: '/api', port: 80, tls: true }, { host: '*.w.test', port: 80, tls: true }, { host: 'BAD', port: 80, tls: true }]),
      none: service(undefined)
    }
    expect(tlsHosts(services)).toEqual(['a.test', 'b.test'])
    expect(servicesOf(services, 'a.test')).toEqual(['api', 'web'])
  })

  it('are those without a certificate valid for more than 30 days, their own or their wildcard\'s', () => {
    expect(needsCertificate({}, 'a.test', NOW)).toBe(true)
    expect(needsCertificate({ 'a.test': cert(NOW + 31 * DAY) }, 'a.test', NOW)).toBe(false)
    expect(needsCertificate({ 'a.test': cert(NOW + 30 * DAY) }, 'a.test', NOW)).toBe(true)
    expect(needsCertificate({ 'a.test': cert(NOW - 1) }, 'a.test', NOW)).toBe(true)
    expect(needsCertificate({ '*.w.test': cert(NOW + 90 * DAY) }, 'x.w.test', NOW)).toBe(false)
    expect(certificateFor({ 'x.w.test': cert(NOW - 1), '*.w.test': cert(NOW + DAY) }, 'x.w.test', NOW)?.host).toBe('*.w.test')
  })
})

describe('who issues', () => {
  const host = 'a.test'
  const chosen = coordinatorOf(view('a'), `cert:${host}`)!
  const other = ['a', 'b', 'c'].find((id) => id !== chosen)!

  it('is the rendezvous choice among members not dead, the same on every node', () => {
    expect(['a', 'b', 'c'].map((self) => issuerOf(view(self), host, undefined))).toEqual([chosen, chosen, chosen])
    expect(mayIssue(view(chosen), host, undefined)).toBe(true)
    expect(mayIssue(view(other), host, undefined)).toBe(false)
    const next = issuerOf(view(other, [chosen]), host, undefined)
    expect(next).not.toBe(chosen)
    expect(mayIssue(view(next!, [chosen]), host, undefined)).toBe(true)
  })

  it('is the lease holder while its lease holds, and nobody else', () => {
    const leased: AcmeRecord = { lease: { node: other, until: NOW + 1000 }, attempts: 0, updatedAt: NOW }
    expect(leaseHolder(view(chosen), leased)).toBe(other)
    expect(issuerOf(view(chosen), host, leased)).toBe(other)
    expect(mayIssue(view(chosen), host, leased)).toBe(false)
    expect(mayIssue(view(other), host, leased)).toBe(true)
  })

  it('goes back to the rendezvous choice once the lease expires or its holder is dead', () => {
    const expired: AcmeRecord = { lease: { node: other, until: NOW }, attempts: 0, updatedAt: NOW }
    expect(leaseHolder(view(chosen), expired)).toBeUndefined()
    expect(mayIssue(view(chosen), host, expired)).toBe(true)
    const live: AcmeRecord = { lease: { node: other, until: NOW + 60_000 }, attempts: 0, updatedAt: NOW }
    expect(leaseHolder(view(chosen, [other]), live)).toBeUndefined()
    expect(mayIssue(view(chosen, [other]), host, live)).toBe(true)
  })

  it('waits out the backoff of the last failure', () => {
    const failed: AcmeRecord = { attempts: 2, lastError: 'no', nextAttemptAt: NOW + 1, updatedAt: NOW }
    expect(mayIssue(view(chosen), host, failed)).toBe(false)
    expect(mayIssue(view(chosen), host, { ...failed, nextAttemptAt: NOW })).toBe(true)
  })

  it('backs off 10 s, doubling, up to 10 min', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map(backoffMs)).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 600_000, 600_000, 600_000])
  })
})
