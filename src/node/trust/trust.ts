// This node's belief about the document: the screened snapshot (screen.ts), kept until
// the document changes, with the problems found logged once each and listed for people
// (GET /v1/problems). Every part reads the cluster through it, never the raw document.

import type { AcmeAccountRecord, AcmeRecord, AlertRecord, AlertStateRecord, CertRecord, ClusterDocument, ConfigRecord, DocumentSnapshot, SecretRecord, ServiceRecord, TokenRecord } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import { MAX_PROBLEMS } from './constants.ts'
import { screen } from './screen.ts'
import type { Problem, Screened } from './screen.ts'
import { SealChecker } from './seal.ts'

export interface ListedProblem extends Problem {
  /** When this node first saw it (ms). */
  since: number
}

export class Trust {
  private readonly document: ClusterDocument
  private readonly log: Logger
  private readonly seals = new SealChecker()
  private screened: Screened | undefined
  private readonly seen = new Map<string, ListedProblem>()

  constructor (document: ClusterDocument, log: Logger) {
    this.document = document
    this.log = log
  }

  start (): void {
    this.document.on('change', this.onChange)
    this.screened = undefined
  }

  stop (): void {
    this.document.off('change', this.onChange)
  }

  /** The records this node believes, as one snapshot. */
  snapshot (): DocumentSnapshot {
    return this.current().snapshot
  }

  /** A service this node believes in, by name. */
  service (name: string): ServiceRecord | undefined {
    return this.current().snapshot.services[name]
  }

  /** The API tokens this node accepts. */
  tokens (): Record<string, TokenRecord> {
    return this.current().tokens
  }

  /** The versions of secrets (encrypted) and configs this node believes, by "NAME@VERSION". */
  secrets (): Record<string, SecretRecord> { return this.current().secrets }
  configs (): Record<string, ConfigRecord> { return this.current().configs }
  /** The alert rules and their states this node believes, by name. */
  alerts (): Record<string, AlertRecord> { return this.current().alerts }
  alertStates (): Record<string, AlertStateRecord> { return this.current().alertStates }
  /** The TLS certificates (keys sealed) and ACME issuance records this node believes, by host. */
  certs (): Record<string, CertRecord> { return this.current().certs }
  acme (): Record<string, AcmeRecord | AcmeAccountRecord> { return this.current().acme }

  /** Records this node ignores, and why: at most MAX_PROBLEMS, oldest first, and how many in all. */
  problems (): { total: number, problems: ListedProblem[] } {
    this.current()
    const all = [...this.seen.values()].sort((a, b) => a.since - b.since)
    return { total: all.length, problems: all.slice(0, MAX_PROBLEMS) }
  }

  private current (): Screened {
    if (this.screened !== undefined) return this.screened
    const screened = screen(this.document.snapshot(), this.document.tokens(), this.seals, { secrets: this.document.secrets(), configs: this.document.configs() }, { alerts: this.document.alerts(), alertStates: this.document.alertStates() }, { certs: this.document.certs(), acme: this.document.acme() })
    this.screened = screened
    this.note(screened.problems)
    return screened
  }

  /** Logs each problem the first time it is seen; forgets those that are gone. */
  private note (problems: Problem[]): void {
    const now = Date.now()
    const present = new Set<string>()
    for (const problem of problems) {
      const id = `${problem.kind}\u0000${problem.node ?? ''}\u0000${problem.key}\u0000${problem.reason}`
      present.add(id)
      if (this.seen.has(id)) continue
      this.seen.set(id, { ...problem, since: now })
      this.log.warn(problem, 'ignoring a record of the cluster document')
    }
    for (const id of this.seen.keys()) if (!present.has(id)) this.seen.delete(id)
  }

  private readonly onChange = (): void => {
    this.screened = undefined
  }
}

/**
 * A data dir from before records were sealed holds none: seal its shared records as
 * this node's writes, once, before the node meets its peers. A document with any seal
 * is left alone (sealing someone else's record later would launder a forgery).
 */
export function sealLegacyRecords (document: ClusterDocument): number {
  const snapshot = document.snapshot()
  const tokens = document.tokens()
  const records: Array<{ sig?: string }> = [
    ...Object.values(snapshot.services), ...Object.values(snapshot.nodes), ...Object.values(snapshot.rollouts),
    ...Object.values(snapshot.drains), ...Object.values(snapshot.removals), ...Object.values(tokens), ...snapshot.replicas.map((e) => e.replica)
  ]
  if (records.length === 0 || records.some((record) => record.sig !== undefined)) return 0
  document.transact(() => {
    for (const [name, record] of Object.entries(snapshot.services)) document.putService(name, record)
    for (const [name, record] of Object.entries(snapshot.rollouts)) document.putRollout(name, record)
    for (const [id, record] of Object.entries(snapshot.drains)) document.putDrain(id, record)
    for (const [name, record] of Object.entries(tokens)) document.putToken(name, record)
  })
  return records.length
}
