// Which records of a document snapshot this node believes: each must have the right
// shape, and a seal by the member allowed to write it — a node's own record and its
// replica records by that node; services, rollouts, autoscale, drains, tokens, secrets and configs by a current
// member (or by a removed one before its removal). Members that were removed are left
// out with everything they own. The rest is listed as problems.

import type { AcmeAccountRecord, AcmeRecord, AlertRecord, AlertStateRecord, CertRecord, ConfigRecord, DocumentSnapshot, RemovalRecord, ReplicaEntry, SecretRecord, TokenRecord } from '../../crdt/index.ts'
import { recordProblem } from './records.ts'
import type { RecordKind } from './records.ts'
import type { SealChecker } from './seal.ts'

export interface Problem {
  kind: RecordKind
  key: string
  /** The node a replica record is filed under. */
  node?: string
  reason: string
}

export interface Screened {
  snapshot: DocumentSnapshot
  tokens: Record<string, TokenRecord>
  secrets: Record<string, SecretRecord>
  configs: Record<string, ConfigRecord>
  alerts: Record<string, AlertRecord>
  alertStates: Record<string, AlertStateRecord>
  certs: Record<string, CertRecord>
  acme: Record<string, AcmeRecord | AcmeAccountRecord>
  problems: Problem[]
}

/** The secrets and configs of a document, by "NAME@VERSION". */
export interface StoredRecords { secrets: Record<string, SecretRecord>, configs: Record<string, ConfigRecord> }

/** The alert rules of a document and their states, by name. */
export interface AlertRecords { alerts: Record<string, AlertRecord>, alertStates: Record<string, AlertStateRecord> }

/** The TLS certificates of a document by host, and their issuance (and the ACME account). */
export interface CertRecords { certs: Record<string, CertRecord>, acme: Record<string, AcmeRecord | AcmeAccountRecord> }

type SharedKind = 'services' | 'rollouts' | 'drains' | 'tokens' | 'secrets' | 'configs' | 'alerts' | 'alertStates' | 'certs' | 'acme' | 'autoscale'
type Record0 = Record<string, unknown> & { by?: string, updatedAt?: number, createdAt?: number }

/** The believable part of `raw` (and `tokens`), and why the rest is not. */
export function screen (raw: DocumentSnapshot, tokens: Record<string, TokenRecord>, seals: SealChecker, stored: StoredRecords = { secrets: {}, configs: {} }, alerts: AlertRecords = { alerts: {}, alertStates: {} }, certs: CertRecords = { certs: {}, acme: {} }): Screened {
  const problems: Problem[] = []
  const plain = (value: unknown): Parameters<SealChecker['check']>[2] => value as Parameters<SealChecker['check']>[2]

  // Members whose own record is sound, before removals are known (a removal is written by one of them).
  const sound = new Set<string>()
  for (const [id, node] of Object.entries(raw.nodes)) {
    const reason = recordProblem('nodes', id, node) ?? (seals.check('nodes', id, plain(node), id) ? undefined : 'not sealed by the node itself')
    if (reason === undefined) sound.add(id)
    else problems.push({ kind: 'nodes', key: id, reason })
  }
  const removals: Record<string, RemovalRecord> = {}
  for (const [id, removal] of Object.entries(raw.removals)) {
    const reason = recordProblem('removals', id, removal) ??
      (removal.by !== undefined && sound.has(removal.by) && seals.check('removals', id, plain(removal)) ? undefined : 'not sealed by a member')
    if (reason === undefined) removals[id] = removal
    else problems.push({ kind: 'removals', key: id, reason })
  }
  const current = new Set([...sound].filter((id) => removals[id] === undefined))

  const nodes = Object.fromEntries(Object.entries(raw.nodes).filter(([id]) => current.has(id)))
  const replicas: ReplicaEntry[] = []
  for (const entry of raw.replicas) {
    if (removals[entry.nodeId] !== undefined) continue
    const reason = !current.has(entry.nodeId)
      ? 'filed under a node that is not a member'
      : recordProblem('replicas', entry.key, entry.replica) ?? (seals.check(`replicas/${entry.nodeId}`, entry.key, plain(entry.replica), entry.nodeId) ? undefined : 'not sealed by the node it is filed under')
    if (reason === undefined) replicas.push(entry)
    else problems.push({ kind: 'replicas', key: entry.key, node: entry.nodeId, reason })
  }

  /** The entries of a shared map written by a current member, or by a removed one before its removal. */
  const shared = <T>(kind: SharedKind, records: Record<string, T>): Record<string, T> => {
    const kept: Record<string, T> = {}
    for (const [key, record] of Object.entries(records)) {
      const r = record as Record0
      const writtenAt = r.updatedAt ?? r.createdAt ?? Infinity
      const by = r.by
      const reason = recordProblem(kind, key, record) ??
        (by === undefined || !seals.check(kind, key, plain(record)) ? 'not sealed by a member'
          : current.has(by) || (removals[by] !== undefined && writtenAt <= removals[by].at) ? undefined
            : `written by ${removals[by] === undefined ? 'a node that is not a member' : `removed member ${removals[by].name}`}`)
      if (reason === undefined) kept[key] = record
      else problems.push({ kind, key, reason })
    }
    return kept
  }

  return {
    snapshot: {
      services: shared('services', raw.services),
      nodes,
      replicas,
      rollouts: shared('rollouts', raw.rollouts),
      drains: shared('drains', raw.drains),
      removals,
      autoscale: shared('autoscale', raw.autoscale)
    },
    tokens: shared('tokens', tokens),
    secrets: shared('secrets', stored.secrets),
    configs: shared('configs', stored.configs),
    alerts: shared('alerts', alerts.alerts),
    // A state whose rule is gone or ignored is of no use.
    alertStates: Object.fromEntries(Object.entries(shared('alertStates', alerts.alertStates)).filter(([name]) => alerts.alerts[name] !== undefined)),
    certs: shared('certs', certs.certs),
    acme: shared('acme', certs.acme),
    problems
  }
}
