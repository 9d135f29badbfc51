// The cluster backup file: the records an operator would lose with every node — services,
// secrets (still encrypted, exactly as stored), configs, token hashes and alert rules (their
// webhook credentials still sealed) — as one JSON
// document with a SHA-256 of its content and an HMAC-SHA256 under a key derived from the
// cluster secret. The checksum tells a damaged file from a changed one; the MAC refuses a
// changed file and a file of another cluster. The file is canonical JSON (keys sorted, no
// spaces): any byte changed either breaks the JSON, changes the content, or leaves a text
// that is not canonical, so every edit is refused.

import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'
import { canonicalJson, unsealed } from '../../crdt/index.ts'
import type { AlertRecord, ConfigRecord, Plain, SecretRecord, ServiceRecord, TokenRecord } from '../../crdt/index.ts'
import { MeshdError } from '../errors.ts'

export const BACKUP_FORMAT = 'meshd-cluster-backup/1'

/** The kinds of records a backup holds, in the order a restore reports them. */
export const BACKUP_KINDS = ['services', 'secrets', 'configs', 'tokens', 'alerts'] as const
export type BackupKind = typeof BACKUP_KINDS[number]

/** The durable records of a cluster, by their document keys (secrets and configs by "NAME@VERSION"). */
export interface ClusterRecords {
  services: Record<string, ServiceRecord>
  secrets: Record<string, SecretRecord>
  configs: Record<string, ConfigRecord>
  tokens: Record<string, TokenRecord>
  alerts: Record<string, AlertRecord>
}

/** What the checksum and the MAC cover. */
export interface BackupContent {
  format: typeof BACKUP_FORMAT
  /** When the backup was taken (ISO 8601). */
  createdAt: string
  /** The id of the cluster it was taken from, when that cluster had one (DATA_DIR/cluster.id). */
  cluster?: string
  /** The name of the node that wrote it. */
  node: string
  records: ClusterRecords
}

export interface BackupFile extends BackupContent {
  /** Hex SHA-256 and HMAC-SHA256 of the content's canonical JSON. */
  sha256: string
  mac: string
}

const FIELDS = ['format', 'createdAt', 'cluster', 'node', 'records', 'sha256', 'mac']
const HEX = /^[0-9a-f]{64}$/

/** The backup key of a cluster secret (its pnet swarm.key bytes): distinct from the secret, the secrets key and the mesh key. */
export function backupKeyOf (secret: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'meshd', 'backup/1', 32))
}

/** The backup of `records`, checksummed and signed with `key`; records lose their seals (a restore seals them anew). */
export function createBackup (records: ClusterRecords, key: Buffer, meta: { createdAt: number, cluster?: string, node: string }): BackupFile {
  const stripped = Object.fromEntries(BACKUP_KINDS.map((kind) => [kind, Object.fromEntries(
    Object.entries(records[kind]).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([k, record]) => [k, unsealed(record as unknown as { [key: string]: Plain })])
  )])) as unknown as ClusterRecords
  const content: BackupContent = {
    format: BACKUP_FORMAT,
    createdAt: new Date(meta.createdAt).toISOString(),
    ...(meta.cluster === undefined ? {} : { cluster: meta.cluster }),
    node: meta.node,
    records: stripped
  }
  const text = canonicalJson(content as unknown as Plain)
  return { ...content, sha256: sha256(text), mac: macOf(key, text) }
}

/** The file's text: canonical JSON and a newline. */
export function backupText (file: BackupFile): string {
  return `${canonicalJson(file as unknown as Plain)}\n`
}

/**
 * The content of a backup read from `input` (the parsed file), once its format, its
 * checksum and its MAC under `key` are right; MESHD_BACKUP_INVALID (400) naming what is not.
 * The records' own validity is the restore's business (restore.ts).
 */
export function openBackup (input: unknown, key: Buffer): BackupContent {
  const file = checkedEnvelope(input)
  const { sha256: sum, mac, ...content } = file
  const text = canonicalJson(content as unknown as Plain)
  if (!equalHex(sum, sha256(text))) {
    throw invalid('sha256', 'the backup\'s checksum does not match its content: the file is damaged or was edited')
  }
  if (!equalHex(mac, macOf(key, text))) {
    throw invalid('mac', 'the backup\'s signature does not match: it was changed, or it belongs to another cluster (this node\'s cluster secret differs from the one it was taken with)')
  }
  // A file from before alert rules were backed up has none.
  return { ...content, records: { ...content.records, alerts: content.records.alerts ?? {} } }
}

/** Why `text` is not a backup file exactly as meshd writes it (canonical JSON), or undefined when it is; checks no signature. */
export function backupTextProblem (text: string): string | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    return `not JSON (${(err as Error).message.replace(/, ".*" is not valid JSON$/s, '')}): expected a file written by \`meshd cluster backup\``
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || (parsed as { format?: unknown }).format !== BACKUP_FORMAT) {
    return `not a meshd cluster backup: expected "format": "${BACKUP_FORMAT}"`
  }
  if (text.replace(/\n$/, '') !== canonicalJson(parsed as Plain)) return 'the file was edited: it is not the canonical JSON `meshd cluster backup` writes'
  return undefined
}

/** The file's envelope, checked field by field; its records only as four maps. */
function checkedEnvelope (input: unknown): BackupFile {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid('body', 'expected a backup file (a JSON object written by `meshd cluster backup`)')
  const file = input as Record<string, unknown>
  if (file.format !== BACKUP_FORMAT) throw invalid('format', `expected "${BACKUP_FORMAT}", got ${JSON.stringify(file.format)?.slice(0, 60)}`)
  const extra = Object.keys(file).find((key) => !FIELDS.includes(key))
  if (extra !== undefined) throw invalid(extra, `unknown field, expected only ${FIELDS.join(', ')}`)
  if (typeof file.createdAt !== 'string' || Number.isNaN(Date.parse(file.createdAt))) throw invalid('createdAt', 'expected an ISO 8601 time')
  if (file.cluster !== undefined && (typeof file.cluster !== 'string' || !/^[0-9a-f]{32}$/.test(file.cluster))) throw invalid('cluster', 'expected a cluster id of 32 hex digits')
  if (typeof file.node !== 'string' || file.node.length > 253) throw invalid('node', 'expected the name of the node that wrote it')
  for (const field of ['sha256', 'mac'] as const) {
    if (typeof file[field] !== 'string' || !HEX.test(file[field])) throw invalid(field, 'expected 64 hex digits')
  }
  const records = file.records
  if (typeof records !== 'object' || records === null || Array.isArray(records)) throw invalid('records', `expected an object of ${BACKUP_KINDS.join(', ')}`)
  const unknown = Object.keys(records).find((kind) => !(BACKUP_KINDS as readonly string[]).includes(kind))
  if (unknown !== undefined) throw invalid(`records.${unknown}`, `unknown kind of record, expected ${BACKUP_KINDS.join(', ')}`)
  for (const kind of BACKUP_KINDS) {
    const map = (records as Record<string, unknown>)[kind]
    if (kind === 'alerts' && map === undefined) continue // written before alert rules were backed up
    if (typeof map !== 'object' || map === null || Array.isArray(map)) throw invalid(`records.${kind}`, 'expected an object of records by key')
  }
  return file as unknown as BackupFile
}

function sha256 (text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

function macOf (key: Buffer, text: string): string {
  return createHmac('sha256', key).update(`${BACKUP_FORMAT}\n`).update(text).digest('hex')
}

function equalHex (a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'))
}

function invalid (path: string, message: string): MeshdError {
  return new MeshdError('MESHD_BACKUP_INVALID', `${path}: ${message}`, path)
}
