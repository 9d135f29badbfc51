// A host's certificate and issuance as GET /v1/certs shows them: never the key.

import type { AcmeAccountRecord, AcmeRecord, CertRecord } from '../../crdt/index.ts'
import { ACME_ACCOUNT_KEY } from '../../crdt/index.ts'
import type { ClusterView } from '../cluster/index.ts'
import { RENEW_BEFORE_MS } from './constants.ts'
import { acmeOf, issuerOf, leaseHolder, needsCertificate, servicesOf, tlsHosts } from './hosts.ts'

export interface CertView {
  host: string
  /** The services whose TLS routes name the host. */
  services: string[]
  fingerprint?: string
  notAfter?: number
  source?: CertRecord['source']
  /** The node that issued it (acme) or took it (manual), by name. */
  issuedBy?: string
  updatedAt?: number
  /**
   * valid: served and not due; renewing/issuing: a node holds the lease; waiting: due,
   * no lease (next tick, or after the backoff); failed: the last attempt failed.
   */
  state: 'valid' | 'issuing' | 'renewing' | 'waiting' | 'failed' | 'expired'
  issuer?: {
    node?: string
    lease?: { node: string, until: number }
    attempts: number
    lastError?: string
    nextAttemptAt?: number
    /** token → key authorization being answered at /.well-known/acme-challenge/ (public by design: the CA reads them over plain HTTP). */
    challenges?: Record<string, string>
  }
}

/** Every host with a certificate, a TLS route or an issuance under way, sorted (a route removed leaves no line behind). */
export function certViews (view: ClusterView, certs: Record<string, CertRecord>, acme: Record<string, AcmeRecord | AcmeAccountRecord>): CertView[] {
  const issuing = Object.keys(acme).filter((key) => key !== ACME_ACCOUNT_KEY && leaseHolder(view, acmeOf(acme, key)) !== undefined)
  const hosts = new Set([...Object.keys(certs), ...issuing, ...tlsHosts(view.services)])
  return [...hosts].sort().map((host) => certView(view, host, certs, acmeOf(acme, host)))
}

export function certView (view: ClusterView, host: string, certs: Record<string, CertRecord>, record: AcmeRecord | undefined): CertView {
  const cert = certs[host]
  const name = (id: string): string => view.nodes[id]?.name ?? id
  const holder = leaseHolder(view, record)
  const issuer = issuerOf(view, host, record)
  const expired = cert !== undefined && cert.notAfter <= view.now
  const due = cert === undefined || cert.notAfter - view.now <= RENEW_BEFORE_MS
  const state: CertView['state'] = holder !== undefined ? (cert === undefined || expired ? 'issuing' : 'renewing')
    : record?.lastError !== undefined && record.attempts > 0 && needsCertificate(certs, host, view.now) ? 'failed'
      : expired ? 'expired' : due ? 'waiting' : 'valid'
  return {
    host,
    services: servicesOf(view.services, host),
    ...(cert === undefined ? {} : { fingerprint: cert.fingerprint, notAfter: cert.notAfter, source: cert.source, issuedBy: name(cert.issuedBy), updatedAt: cert.updatedAt }),
    state,
    ...(record === undefined
      ? {}
      : {
          issuer: {
            ...(issuer === undefined ? {} : { node: name(issuer) }),
            ...(holder === undefined ? {} : { lease: { node: name(holder), until: record.lease!.until } }),
            attempts: record.attempts,
            ...(record.lastError === undefined ? {} : { lastError: record.lastError }),
            ...(record.nextAttemptAt === undefined ? {} : { nextAttemptAt: record.nextAttemptAt }),
            ...(record.challenges === undefined ? {} : { challenges: record.challenges })
          }
        })
  }
}

/** The certificate of each TLS route of a service, as its view shows it: state, expiry, last error. */
export interface ServiceCertificate { host: string, state: CertView['state'], fingerprint?: string, notAfter?: number, lastError?: string, nextAttemptAt?: number }

export function serviceCertificates (view: ClusterView, service: string, certs: Record<string, CertRecord>, acme: Record<string, AcmeRecord | AcmeAccountRecord>): ServiceCertificate[] {
  const hosts = tlsHosts(Object.hasOwn(view.services, service) ? { [service]: view.services[service]! } : {})
  return hosts.map((host) => {
    const full = certView(view, host, certs, acmeOf(acme, host))
    return {
      host,
      state: full.state,
      ...(full.fingerprint === undefined ? {} : { fingerprint: full.fingerprint, notAfter: full.notAfter! }),
      ...(full.issuer?.lastError === undefined ? {} : { lastError: full.issuer.lastError }),
      ...(full.issuer?.nextAttemptAt === undefined ? {} : { nextAttemptAt: full.issuer.nextAttemptAt })
    }
  })
}
