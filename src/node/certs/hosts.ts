// Pure decisions about certificates: which hosts need one, which node issues each (the
// rendezvous choice, unless a live lease says otherwise), and the backoff after a
// failure. Functions of a ClusterView and the records; no I/O, no clock of their own.

import { ACME_ACCOUNT_KEY } from '../../crdt/index.ts'
import type { AcmeAccountRecord, AcmeRecord, CertRecord, ServiceRecord } from '../../crdt/index.ts'
import { coordinatorOf, notDead } from '../cluster/index.ts'
import type { ClusterView } from '../cluster/index.ts'
import { BACKOFF_MAX_MS, BACKOFF_MIN_MS, RENEW_BEFORE_MS } from './constants.ts'

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/** Why `host` is not a DNS name a certificate can be filed under ("a.example.com", "*.example.com"), or undefined. */
export function hostProblem (host: string): string | undefined {
  if (host.length === 0 || host.length > 253) return 'expected a DNS name of 1 to 253 characters'
  const labels = host.split('.')
  const rest = labels[0] === '*' ? labels.slice(1) : labels
  if (rest.length < 1 || !rest.every((label) => LABEL.test(label))) {
    return 'expected a DNS name: lowercase labels of letters, digits and "-", a wildcard only as the first label ("*.example.com")'
  }
  if (labels[0] === '*' && rest.length < 2) return 'a wildcard needs at least two labels after "*."'
  return undefined
}

/** The wildcard name that covers `host` ("a.example.com" → "*.example.com"), if any. */
export function wildcardOf (host: string): string | undefined {
  const dot = host.indexOf('.')
  return dot < 0 || host.startsWith('*.') ? undefined : `*${host.slice(dot)}`
}

/** The TLS routes' hosts of a service's spec. */
function tlsRoutesOf (record: ServiceRecord): string[] {
  return (record.spec.ingress ?? []).filter((route) => route.tls === true).map((route) => route.host)
}

/** The hosts of TLS routes in the services' specs that ACME can issue (no wildcard: HTTP-01 cannot), sorted. */
export function tlsHosts (services: Record<string, ServiceRecord>): string[] {
  const hosts = new Set<string>()
  for (const record of Object.values(services)) {
    for (const host of tlsRoutesOf(record)) if (hostProblem(host) === undefined && !host.startsWith('*.')) hosts.add(host)
  }
  return [...hosts].sort()
}

/** The services with a TLS route for `host`, by name. */
export function servicesOf (services: Record<string, ServiceRecord>, host: string): string[] {
  return Object.keys(services).filter((name) => tlsRoutesOf(services[name]!).includes(host)).sort()
}

/** The certificate served for `host`: its own, else its wildcard's, when not expired. */
export function certificateFor (certs: Record<string, CertRecord>, host: string, now: number): { host: string, cert: CertRecord } | undefined {
  for (const name of [host, wildcardOf(host)]) {
    if (name === undefined || !Object.hasOwn(certs, name)) continue
    const cert = certs[name]
    if (cert !== undefined && cert.notAfter > now) return { host: name, cert }
  }
  return undefined
}

/** True when `host` has no certificate valid for more than RENEW_BEFORE_MS (its own or its wildcard's). */
export function needsCertificate (certs: Record<string, CertRecord>, host: string, now: number): boolean {
  const found = certificateFor(certs, host, now)
  return found === undefined || found.cert.notAfter - now <= RENEW_BEFORE_MS
}

/** The host's issuance record (never the account's). */
export function acmeOf (acme: Record<string, AcmeRecord | AcmeAccountRecord>, host: string): AcmeRecord | undefined {
  return host === ACME_ACCOUNT_KEY ? undefined : acme[host] as AcmeRecord | undefined
}

/** The node whose lease holds: not expired, and its holder not dead in this view. */
export function leaseHolder (view: ClusterView, record: AcmeRecord | undefined): string | undefined {
  const lease = record?.lease
  if (lease === undefined || lease.until <= view.now || !notDead(view, lease.node)) return undefined
  return lease.node
}

/** The node that issues `host`'s certificate: the lease holder, else the rendezvous choice among members not dead. */
export function issuerOf (view: ClusterView, host: string, record: AcmeRecord | undefined): string | undefined {
  return leaseHolder(view, record) ?? coordinatorOf(view, `cert:${host}`)
}

/**
 * True when this node should start issuing `host` now: it is the issuer, no lease of
 * another node holds, and the backoff of the last failure is over.
 */
export function mayIssue (view: ClusterView, host: string, record: AcmeRecord | undefined): boolean {
  const holder = leaseHolder(view, record)
  if (holder !== undefined && holder !== view.self) return false
  if (issuerOf(view, host, record) !== view.self) return false
  return (record?.nextAttemptAt ?? 0) <= view.now
}

/** How long to wait after the `attempts`-th failure in a row: 10 s, doubling, at most 10 min. */
export function backoffMs (attempts: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, Math.min(attempts - 1, 20)))
}
