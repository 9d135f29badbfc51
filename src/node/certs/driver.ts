// Runs on every node: every TICK_MS it looks for the hosts of TLS routes that need a
// certificate and issues those it is the issuer of (hosts.ts: the rendezvous choice,
// unless a live lease says otherwise). An issuance writes its lease first and reads it
// back LEASE_SETTLE_MS later (two nodes whose views differed meet there), renews it every
// third of LEASE_MS, publishes the challenges in `acme[host]`, and writes the chain and the
// sealed key in `certs[host]`. A node that loses its lease stops; a failure is recorded
// with its backoff; a node that dies mid-way leaves a lease that expires (or whose holder
// is declared dead), and the next node by rendezvous starts a new order.

import { X509Certificate } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { ACME_ACCOUNT_KEY } from '../../crdt/index.ts'
import type { AcmeAccountRecord, AcmeRecord, CertRecord, ClusterDocument } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import type { ClusterView } from '../cluster/index.ts'
import { noEvents } from '../events/index.ts'
import type { Events } from '../events/index.ts'
import { CHALLENGE_SETTLE_MS, LEASE_MS, LEASE_SETTLE_MS, MAX_CONCURRENT, MAX_ERROR_CHARS, TICK_MS } from './constants.ts'
import { acmeOf, backoffMs, mayIssue, needsCertificate, servicesOf, tlsHosts } from './hosts.ts'
import { issue as acmeIssue, newAccountKey } from './issuer.ts'
import type { IssueRequest, Issued } from './issuer.ts'
import { openAccountKey, sealAccountKey, sealCertKey } from './keys.ts'
import type { AcmeSettings } from './types.ts'

export interface CertDriverInit {
  document: ClusterDocument
  view: () => ClusterView
  /** The certificates and issuance records this node believes (trust/). */
  certs: () => Record<string, CertRecord>
  acme: () => Record<string, AcmeRecord | AcmeAccountRecord>
  secretsKey: Buffer
  /** The ACME CA; without it this node issues nothing (certificates by hand still work). */
  settings?: AcmeSettings
  log: Logger
  events?: Events
  leaseMs?: number
  tickMs?: number
  settleMs?: number
  issue?: (request: IssueRequest) => Promise<Issued>
}

/** ACME issuance of the cluster's TLS hosts, as a daemon part. */
export class CertDriver {
  private readonly init: CertDriverInit
  private timer: NodeJS.Timeout | undefined
  private readonly active = new Map<string, AbortController>()
  private stopped = true

  constructor (init: CertDriverInit) {
    this.init = init
  }

  start (): void {
    if (!this.stopped || this.init.settings === undefined) return
    this.stopped = false
    const every = this.init.tickMs ?? TICK_MS
    const loop = (delay: number): void => {
      this.timer = setTimeout(() => {
        try { this.tick() } catch (err) { this.init.log.error({ err }, 'certificate tick failed') }
        if (!this.stopped) loop(every)
      }, delay)
    }
    loop(Math.random() * every) // a random stagger, so that nodes do not tick in step
  }

  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    clearTimeout(this.timer)
    for (const controller of this.active.values()) controller.abort(new Error('the node is stopping'))
    while (this.active.size > 0) await sleep(20)
  }

  /** The hosts this node is issuing now. */
  issuing (): string[] { return [...this.active.keys()].sort() }

  private tick (): void {
    const view = this.init.view()
    const certs = this.init.certs()
    const acme = this.init.acme()
    for (const host of tlsHosts(view.services)) {
      if (this.active.size >= MAX_CONCURRENT) return
      if (this.active.has(host) || !needsCertificate(certs, host, view.now) || !mayIssue(view, host, acmeOf(acme, host))) continue
      const controller = new AbortController()
      this.active.set(host, controller)
      this.run(host, controller.signal)
        .catch((err) => { this.init.log.error({ err, host }, 'certificate issuance failed unexpectedly') })
        .finally(() => { this.active.delete(host) })
    }
  }

  private async run (host: string, signal: AbortSignal): Promise<void> {
    const { log } = this.init
    const self = this.init.view().self
    const leaseMs = this.init.leaseMs ?? LEASE_MS
    const previous = this.record(host)
    const attempts = previous?.attempts ?? 0
    this.write(host, { attempts, ...(previous?.lastError === undefined ? {} : { lastError: previous.lastError }), lease: { node: self, until: Date.now() + leaseMs } })
    await sleep(this.init.settleMs ?? LEASE_SETTLE_MS, undefined, { signal }).catch(() => {})
    if (!this.holds(host, self) || signal.aborted) return
    log.info({ host, attempt: attempts + 1 }, 'issuing a certificate by ACME')
    const renew = setInterval(() => {
      if (!this.holds(host, self)) return
      this.write(host, { ...this.record(host)!, lease: { node: self, until: Date.now() + leaseMs } })
    }, leaseMs / 3)
    const lost = new AbortController()
    const watch = setInterval(() => { if (!this.holds(host, self)) lost.abort(new Error('another node took the lease over')) }, 500)
    const both = AbortSignal.any([signal, lost.signal])
    try {
      const issued = await (this.init.issue ?? acmeIssue)({
        host, settings: this.init.settings!, accountKey: await this.accountKey(), signal: both,
        publish: async (challenges) => {
          this.write(host, { ...this.record(host)!, challenges })
          await sleep(this.init.settleMs ?? CHALLENGE_SETTLE_MS, undefined, { signal: both })
        }
      })
      if (!this.holds(host, self)) throw new Error('another node took the lease over')
      this.complete(host, self, issued)
    } catch (err) {
      if (!this.holds(host, self)) {
        log.info({ host, why: (err as Error).message }, 'certificate issuance left to another node')
      } else if (signal.aborted) {
        // Stopping: the lease is given back, so the next node by rendezvous goes on at once.
        this.write(host, { attempts, ...(previous?.lastError === undefined ? {} : { lastError: previous.lastError }) })
      } else {
        this.fail(host, attempts + 1, errorText(err))
      }
    } finally {
      clearInterval(renew)
      clearInterval(watch)
    }
  }

  /** The chain and the sealed key, with the lease given back, in one transaction. */
  private complete (host: string, self: string, issued: Issued): void {
    const leaf = new X509Certificate(issued.certificate)
    const now = Date.now()
    this.init.document.transact(() => {
      this.init.document.putCert(host, { certificate: issued.certificate, key: sealCertKey(this.init.secretsKey, host, issued.keyPem), notAfter: Date.parse(leaf.validTo), fingerprint: leaf.fingerprint256, source: 'acme', issuedBy: self, updatedAt: now })
      this.write(host, { attempts: 0 }, now)
    })
    this.init.log.info({ host, fingerprint: leaf.fingerprint256, notAfter: leaf.validTo }, 'certificate issued')
    this.emit('cert.issued', host, `certificate for ${host} issued by ACME (expires ${leaf.validTo})`, { fingerprint: leaf.fingerprint256 })
  }

  /** The failure and its backoff, with the lease given back. */
  private fail (host: string, attempts: number, error: string): void {
    const now = Date.now()
    this.write(host, { attempts, lastError: error, nextAttemptAt: now + backoffMs(attempts) }, now)
    this.init.log.warn({ host, attempts, err: error }, 'certificate issuance failed; retrying after a backoff')
    this.emit('cert.failed', host, `certificate for ${host} failed (attempt ${attempts}): ${error}`, { attempts })
  }

  private record (host: string): AcmeRecord | undefined {
    return acmeOf(this.init.document.acme(), host)
  }

  private holds (host: string, self: string): boolean {
    const lease = this.record(host)?.lease
    return lease?.node === self && lease.until > Date.now()
  }

  private write (host: string, record: Omit<AcmeRecord, 'updatedAt'>, now = Date.now()): void {
    const { by: _by, sig: _sig, updatedAt: _at, ...content } = record as AcmeRecord
    this.init.document.putAcme(host, { ...content, updatedAt: now })
  }

  /** The cluster's account key: the document's, or a new one written there for every node to go on with. */
  private async accountKey (): Promise<string> {
    const record = this.init.acme()[ACME_ACCOUNT_KEY] as AcmeAccountRecord | undefined
    if (record !== undefined) return openAccountKey(this.init.secretsKey, record.key)
    const pem = await newAccountKey()
    const now = Date.now()
    const email = this.init.settings?.email
    this.init.document.putAcme(ACME_ACCOUNT_KEY, { key: sealAccountKey(this.init.secretsKey, pem), ...(email === undefined ? {} : { email }), createdAt: now, updatedAt: now })
    return pem
  }

  private emit (kind: 'cert.issued' | 'cert.failed', host: string, message: string, fields: Record<string, unknown>): void {
    const service = servicesOf(this.init.view().services, host)[0]
    ;(this.init.events ?? noEvents).emit({ kind, host, message, ...(service === undefined ? {} : { service }), ...fields })
  }
}

function errorText (err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 1)}…` : text
}
