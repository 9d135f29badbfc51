// Writes of secrets and configs as the API performs them: validated input in, one
// document transaction out. An update is a new version, and in the same transaction a
// new generation of every service that follows the latest one (its reference is not
// pinned), which then rolls out with the service's own update policy.

import type { ClusterDocument, ConfigRecord, SecretRecord, ServiceSpec } from '../../crdt/index.ts'
import { MeshdError } from '../errors.ts'
import { parseSource, specLimits } from '../spec/index.ts'
import { sealContent } from '../stored/index.ts'
import { writeService } from './services.ts'
import type { WriteOptions } from './services.ts'

export type StoredKind = 'secret' | 'config'

/** Versions of a secret or config kept whether or not a spec refers to them. */
export const KEPT_VERSIONS = 3
export type StoredRecord = SecretRecord | ConfigRecord

/** Where a kind's versions are in the document, and its error codes. */
export function storeOf (document: ClusterDocument, kind: StoredKind) {
  return kind === 'secret'
    ? { all: (): Record<string, StoredRecord> => document.secrets(), put: (key: string, rec: StoredRecord) => { document.putSecret(key, rec as SecretRecord) }, remove: (key: string) => { document.deleteSecret(key) }, notFound: 'MESHD_SECRET_NOT_FOUND' as const }
    : { all: (): Record<string, StoredRecord> => document.configs(), put: (key: string, rec: StoredRecord) => { document.putConfig(key, rec as ConfigRecord) }, remove: (key: string) => { document.deleteConfig(key) }, notFound: 'MESHD_CONFIG_NOT_FOUND' as const }
}

/** The versions of each name, ascending. */
export function versionsByName<T extends { name: string, version: number }> (records: Record<string, T>): Map<string, T[]> {
  const byName = new Map<string, T[]>()
  for (const record of Object.values(records)) byName.set(record.name, [...(byName.get(record.name) ?? []), record])
  for (const list of byName.values()) list.sort((a, b) => a.version - b.version)
  return byName
}

/** The spec's references of a kind. */
export function refsOf (spec: ServiceSpec, kind: StoredKind): ReadonlyArray<{ source: string, version?: number }> {
  return (kind === 'secret' ? spec.secrets : spec.configs) ?? []
}

/** What a write needs beyond the document: the secrets key, and the options of service writes. */
export interface StoredWriteOptions extends WriteOptions { secretsKey: Buffer, now?: number }

/** Creates a secret or config (version 1); MESHD_EXISTS when the name is taken. */
export function createStored (document: ClusterDocument, kind: StoredKind, name: string, content: Buffer, opts: StoredWriteOptions): StoredRecord {
  assertSize(kind, content)
  const store = storeOf(document, kind)
  if (versionsByName(store.all()).has(name)) throw new MeshdError('MESHD_EXISTS', `name: a ${kind} "${name}" exists; change it with \`meshd ${kind} update ${name}\``, 'name')
  return putVersion(document, kind, name, content, opts)
}

/**
 * A new version of a secret or config, and a new generation of each service that
 * follows its latest version. The last KEPT_VERSIONS versions are kept (to pin one, or
 * to roll back to), and older ones while a spec (current or previous) refers to them. Returns the new version and the services rolled.
 */
export function updateStored (document: ClusterDocument, kind: StoredKind, name: string, content: Buffer, opts: StoredWriteOptions): { record: StoredRecord, rolled: string[] } {
  assertSize(kind, content)
  const store = storeOf(document, kind)
  if (!versionsByName(store.all()).has(name)) throw new MeshdError(store.notFound, `name: no ${kind} "${name}"`, 'name')
  let record: StoredRecord | undefined
  let rolled: string[] = []
  document.transact(() => {
    record = putVersion(document, kind, name, content, opts)
    rolled = rollFollowers(document, kind, name, record.version, opts)
    dropUnusedVersions(document, kind, name)
  })
  return { record: record!, rolled }
}

/**
 * Puts the next version of `name` (version 1 of a new name, recorded as the stack's when
 * `stack` is given; a later version keeps the stack of the one before). No checks: the caller made them.
 */
export function putVersion (document: ClusterDocument, kind: StoredKind, name: string, content: Buffer, opts: StoredWriteOptions & { stack?: string }): StoredRecord {
  const store = storeOf(document, kind)
  const latest = versionsByName(store.all()).get(name)?.at(-1)
  const now = opts.now ?? Date.now()
  const stack = latest === undefined ? opts.stack : latest.stack
  const record = recordOf(kind, name, (latest?.version ?? 0) + 1, content, latest?.createdAt ?? now, now, opts.secretsKey, stack)
  store.put(`${name}@${record.version}`, record)
  return record
}

/** Writes a new generation, running `version`, of each service that follows the latest of `name` (but those in `skip`); returns their names. */
export function rollFollowers (document: ClusterDocument, kind: StoredKind, name: string, version: number, opts: WriteOptions & { now?: number }, skip: ReadonlySet<string> = new Set()): string[] {
  const rolled: string[] = []
  for (const service of Object.values(document.services())) {
    if (skip.has(service.spec.name) || !followsLatest(service.spec, kind, name)) continue
    writeService(document, withVersion(service.spec, kind, name, version), opts.now ?? Date.now(), opts)
    rolled.push(service.spec.name)
  }
  return rolled
}

/** True when the spec refers to the latest version of `name` (its reference pins none). */
export function followsLatest (spec: ServiceSpec, kind: StoredKind, name: string): boolean {
  return refsOf(spec, kind).some((ref) => parseSource(ref.source)?.name === name && parseSource(ref.source)?.version === undefined)
}

/** Removes the versions of `name` past the last KEPT_VERSIONS that no spec (current or previous) refers to. */
export function dropUnusedVersions (document: ClusterDocument, kind: StoredKind, name: string): void {
  const store = storeOf(document, kind)
  const versions = versionsByName(store.all()).get(name) ?? []
  const referenced = referencedVersions(document, kind, name)
  const kept = versions.slice(-KEPT_VERSIONS).map((v) => v.version)
  for (const old of versions) if (!referenced.has(old.version) && !kept.includes(old.version)) store.remove(`${name}@${old.version}`)
}

/** Removes every version; MESHD_IN_USE while a service's spec refers to it. */
export function removeStored (document: ClusterDocument, kind: StoredKind, name: string): void {
  const store = storeOf(document, kind)
  const versions = versionsByName(store.all()).get(name)
  if (versions === undefined) throw new MeshdError(store.notFound, `name: no ${kind} "${name}"`, 'name')
  const users = Object.values(document.services())
    .filter((record) => refsOf(record.spec, kind).some((ref) => parseSource(ref.source)?.name === name))
    .map((record) => record.spec.name)
  if (users.length > 0) throw new MeshdError('MESHD_IN_USE', `name: the ${kind} "${name}" is used by ${users.map((u) => `"${u}"`).join(', ')}; remove it from ${users.length === 1 ? 'that service' : 'those services'} first`, 'name')
  document.transact(() => { for (const v of versions) store.remove(`${name}@${v.version}`) })
}

/**
 * The spec with each secret and config reference resolved to a version: the pinned one,
 * or the latest. MESHD_INVALID_SPEC (400) naming the field when one does not exist.
 */
export function resolveRefs (document: ClusterDocument, spec: ServiceSpec): ServiceSpec {
  const byKind = { secret: versionsByName(storeOf(document, 'secret').all()), config: versionsByName(storeOf(document, 'config').all()) }
  return resolveRefsIn(spec, (kind, name) => byKind[kind].get(name)?.map((v) => v.version))
}

/** resolveRefs against `versionsOf` (the versions of a name, ascending; undefined when there is none), e.g. versions a stack is about to write. */
export function resolveRefsIn (spec: ServiceSpec, versionsOf: (kind: StoredKind, name: string) => number[] | undefined): ServiceSpec {
  const resolved = { ...spec }
  for (const kind of ['secret', 'config'] as const) {
    const field = kind === 'secret' ? 'secrets' : 'configs'
    const list = spec[field]
    if (list === undefined) continue
    const refs = list.map((ref, i) => {
      const source = parseSource(ref.source)!
      const versions = versionsOf(kind, source.name)
      const path = `${field}[${i}].source`
      if (versions === undefined) throw new MeshdError('MESHD_INVALID_SPEC', `${path}: no ${kind} "${source.name}", expected one created with \`meshd ${kind} create ${source.name}\``, path)
      const version = source.version ?? versions.at(-1)!
      if (!versions.includes(version)) {
        throw new MeshdError('MESHD_INVALID_SPEC', `${path}: the ${kind} "${source.name}" has no version ${version}, expected one of ${versions.join(', ')}`, path)
      }
      return { ...ref, version }
    })
    Object.assign(resolved, { [field]: refs })
  }
  return resolved
}

function withVersion (spec: ServiceSpec, kind: StoredKind, name: string, version: number): ServiceSpec {
  const follow = <T extends { source: string }>(ref: T): T => ref.source === name ? { ...ref, version } : ref
  return kind === 'secret'
    ? { ...spec, secrets: (spec.secrets ?? []).map(follow) }
    : { ...spec, configs: (spec.configs ?? []).map(follow) }
}

/** The versions of `name` any service's current or previous spec refers to. */
function referencedVersions (document: ClusterDocument, kind: StoredKind, name: string): Set<number> {
  const versions = new Set<number>()
  for (const record of Object.values(document.services())) {
    for (const spec of [record.spec, record.previous?.spec]) {
      if (spec === undefined) continue
      for (const ref of refsOf(spec, kind)) if (parseSource(ref.source)?.name === name && ref.version !== undefined) versions.add(ref.version)
    }
  }
  return versions
}

/** MESHD_TOO_LARGE (naming `path`) when the content is larger than a secret or config may be. */
export function assertSize (kind: StoredKind, content: Buffer, path = 'data'): void {
  if (content.byteLength > specLimits.MAX_STORED_BYTES) {
    throw new MeshdError('MESHD_TOO_LARGE', `${path}: the ${kind} is ${content.byteLength} bytes, expected at most ${specLimits.MAX_STORED_BYTES} (512 KiB)`, path)
  }
}

function recordOf (kind: StoredKind, name: string, version: number, content: Buffer, createdAt: number, updatedAt: number, secretsKey: Buffer, stack: string | undefined): StoredRecord {
  const base = { name, version, size: content.byteLength, createdAt, updatedAt, ...(stack === undefined ? {} : { stack }) }
  return kind === 'secret'
    ? { ...base, ...sealContent(secretsKey, name, version, content) }
    : { ...base, data: content.toString('base64') }
}
