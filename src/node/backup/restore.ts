// A restore: the records of a verified backup (format.ts) checked as a peer's records are
// (trust/: the same shapes, services through the spec parser), then written into the
// document in one transaction as this node's own writes — sealed by it now, their content
// and generations kept. Only into a cluster that holds none of them: a restore never
// merges with, or overwrites, what a cluster already has.

import type { ClusterDocument } from '../../crdt/index.ts'
import { memberPorts } from '../cluster/index.ts'
import { MeshdError } from '../errors.ts'
import { parseSource } from '../spec/index.ts'
import { recordProblem } from '../trust/index.ts'
import { BACKUP_KINDS } from './format.ts'
import type { BackupKind, ClusterRecords } from './format.ts'

/** What a restore wrote, by kind: the document keys, in order. */
export type RestoreSummary = Record<BackupKind, string[]>

const LABEL = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/

// The fields each kind of record may have (with the seal's, which a restore replaces).
const FIELDS: Record<BackupKind, readonly string[]> = {
  services: ['spec', 'generation', 'previous', 'imageId', 'addressIndex', 'createdAt', 'updatedAt'],
  secrets: ['name', 'version', 'size', 'nonce', 'data', 'key', 'createdAt', 'updatedAt', 'stack'],
  configs: ['name', 'version', 'size', 'data', 'createdAt', 'updatedAt', 'stack'],
  tokens: ['hash', 'role', 'services', 'expiresAt', 'createdAt', 'createdBy'],
  alerts: ['when', 'for', 'notify', 'createdAt', 'updatedAt']
}
const SEAL = ['by', 'sig']

/** The records, once each is one a member could have written; MESHD_BACKUP_INVALID (400) naming the first that is not. */
export function checkRecords (records: ClusterRecords): ClusterRecords {
  for (const kind of BACKUP_KINDS) {
    for (const [key, record] of Object.entries(records[kind])) {
      const path = `records.${kind}.${key}`
      if ((kind === 'tokens' || kind === 'alerts') && !LABEL.test(key)) throw invalid(path, `${kind === 'tokens' ? 'a token' : 'an alert rule'}'s name must be a DNS label`)
      if (typeof record !== 'object' || record === null || Array.isArray(record)) throw invalid(path, 'expected an object')
      const extra = Object.keys(record).find((field) => !FIELDS[kind].includes(field) && !SEAL.includes(field))
      if (extra !== undefined) throw invalid(`${path}.${extra}`, `unknown field, expected one of ${FIELDS[kind].join(', ')}`)
      const problem = recordProblem(kind, key, record)
      if (problem !== undefined) throw invalid(path, problem)
    }
  }
  checkReferences(records)
  return records
}

/**
 * Refuses a cluster that already holds any service, secret or config, or a token by a
 * name the backup also has: MESHD_CLUSTER_NOT_EMPTY (409), naming them and how to remove
 * them. Also a published port that a member of this cluster uses itself (MESHD_PORT_CONFLICT).
 */
export function assertRestorable (document: ClusterDocument, records: ClusterRecords): void {
  const present = {
    services: Object.keys(document.services()),
    secrets: names(Object.keys(document.secrets())),
    configs: names(Object.keys(document.configs())),
    tokens: Object.keys(document.tokens()).filter((name) => records.tokens[name] !== undefined),
    alerts: Object.keys(document.alerts())
  }
  const found = BACKUP_KINDS.filter((kind) => present[kind].length > 0)
  if (found.length > 0) {
    const listed = found.map((kind) => `${kind} ${present[kind].map((n) => `"${n}"`).join(', ')}`).join('; ')
    const removal = found.map((kind) => `\`meshd ${kind.slice(0, -1)} rm NAME\``).join(', ')
    throw new MeshdError('MESHD_CLUSTER_NOT_EMPTY', `cluster: this cluster already has ${listed}; a restore writes only into a fresh cluster: remove them first (${removal}), or restore on a fresh node`, 'cluster')
  }
  const members = memberPorts(document.nodes())
  for (const [name, record] of Object.entries(records.services)) {
    record.spec.ports.forEach((port, i) => {
      const member = port.published === undefined ? undefined : members.get(port.published)
      if (member === undefined) return
      const path = `records.services.${name}.spec.ports[${i}].published`
      throw new MeshdError('MESHD_PORT_CONFLICT', `${path}: port ${port.published} is ${member}; start this node on other ports to restore the service`, path)
    })
  }
}

/** Writes every record in one transaction, sealed by this node; returns what it wrote. */
export function restoreRecords (document: ClusterDocument, records: ClusterRecords): RestoreSummary {
  document.transact(() => {
    for (const [key, record] of Object.entries(records.secrets)) document.putSecret(key, record)
    for (const [key, record] of Object.entries(records.configs)) document.putConfig(key, record)
    for (const [name, record] of Object.entries(records.tokens)) document.putToken(name, record)
    for (const [name, record] of Object.entries(records.services)) document.putService(name, record)
    for (const [name, record] of Object.entries(records.alerts)) document.putAlert(name, record)
  })
  return Object.fromEntries(BACKUP_KINDS.map((kind) => [kind, Object.keys(records[kind]).sort()])) as RestoreSummary
}

/**
 * Every version a service's spec runs must be in the backup, and no two services may
 * publish one port: otherwise the restored cluster could not run them. (A previous spec
 * may name a version removed since, as in the cluster itself: a rollback would say so.)
 */
function checkReferences (records: ClusterRecords): void {
  const published = new Map<number, string>()
  for (const [name, record] of Object.entries(records.services)) {
    for (const [field, stored] of [['secrets', records.secrets], ['configs', records.configs]] as const) {
      (record.spec[field] ?? []).forEach((ref, i) => {
        const key = `${parseSource(ref.source)?.name ?? ref.source}@${ref.version ?? 0}`
        if (stored[key] === undefined) {
          throw invalid(`records.services.${name}.spec.${field}[${i}]`, `refers to ${field.slice(0, -1)} ${key}, which the backup does not hold`)
        }
      })
    }
    for (const port of record.spec.ports) {
      if (port.published === undefined) continue
      const other = published.get(port.published)
      if (other !== undefined) throw invalid(`records.services.${name}.spec.ports`, `port ${port.published} is also published by service "${other}"`)
      published.set(port.published, name)
    }
  }
}

/** The names of "NAME@VERSION" keys, each once. */
function names (keys: string[]): string[] {
  return [...new Set(keys.map((key) => key.slice(0, key.lastIndexOf('@'))))].sort()
}

function invalid (path: string, message: string): MeshdError {
  return new MeshdError('MESHD_BACKUP_INVALID', `${path}: ${message}`, path)
}
