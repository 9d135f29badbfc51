// The files of one replica: each secret the spec refers to, decrypted here (only a node
// that runs a replica using a secret ever opens it), and each config, at the version the
// spec resolved to when it was written.

import type { ConfigRecord, SecretRecord, ServiceSpec } from '../../crdt/index.ts'
import type { ReplicaFile } from '../runtime/index.ts'
import { parseSource, secretPath } from '../spec/index.ts'
import { openContent } from './crypto.ts'

// trust/ StoredRecords, named here so that stored/ (which certs/ and trust/ use) depends on no reader of the document.
type StoredRecords = { secrets: Record<string, SecretRecord>, configs: Record<string, ConfigRecord> }

/** The files of a replica of `spec`; throws, naming the reference, when one is missing or does not decrypt. */
export function replicaFiles (spec: ServiceSpec, stored: StoredRecords, secretsKey: Buffer): ReplicaFile[] {
  const files: ReplicaFile[] = []
  for (const ref of spec.secrets ?? []) {
    const key = versionKey(ref.source, ref.version)
    const record = stored.secrets[key]
    if (record === undefined) throw new Error(`secret ${key} is not in the cluster (removed, or not yet replicated here)`)
    let data: Buffer
    try {
      data = openContent(secretsKey, record)
    } catch {
      throw new Error(`secret ${key} does not decrypt with this cluster's key`)
    }
    files.push({ path: secretPath(ref), data, mode: ref.mode, uid: ref.uid, gid: ref.gid })
  }
  for (const ref of spec.configs ?? []) {
    const key = versionKey(ref.source, ref.version)
    const record = stored.configs[key]
    if (record === undefined) throw new Error(`config ${key} is not in the cluster (removed, or not yet replicated here)`)
    files.push({ path: ref.target, data: Buffer.from(record.data, 'base64'), mode: ref.mode, uid: 0, gid: 0 })
  }
  return files
}

function versionKey (source: string, version: number | undefined): string {
  const name = parseSource(source)?.name ?? source
  if (version === undefined) throw new Error(`${name}: the spec names no version (written by an older node?)`)
  return `${name}@${version}`
}
