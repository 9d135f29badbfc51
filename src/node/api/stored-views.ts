// What the API answers about secrets and configs: metadata, and for a config asked
// with ?show=1 its content. A secret's value never leaves the node that decrypts it
// for a replica.

import { releaseOf, stateOf } from '../cluster/index.ts'
import type { ClusterView } from '../cluster/index.ts'
import { parseSource } from '../spec/index.ts'
import { refsOf } from './stored.ts'

/** A service that refers to a secret or config, and which versions its replicas run. */
export interface StoredUse {
  service: string
  /** The reference names a version ("db-pass@2"): an update does not roll the service. */
  pinned: boolean
  /** The version the service's current spec runs. */
  version: number
  /** Replicas (of every node) by the version they run, for those that run one: {"1": 2, "2": 1}. */
  running: Record<string, number>
  /** Replicas still running a version older than the latest (0 once a rotation is done). */
  outdated: number
}

/** `GET /v1/secrets/NAME` and each item of `GET /v1/secrets`; configs add `data` with ?show=1. */
export interface StoredView {
  name: string
  /** The latest version (1 at creation, +1 per update). */
  version: number
  /** Versions still kept: the latest and those a service (or its previous spec) refers to. */
  versions: number[]
  createdAt: number
  updatedAt: number
  /** Bytes of the latest version's content. */
  size: number
  usedBy: StoredUse[]
}

/** A config's view with its content (base64), for ?show=1 and `meshd config inspect --show`. */
export interface ConfigContentView extends StoredView {
  data: string
}

/** The view of one name's versions (ascending, at least one) in the cluster `view`. */
export function storedView (view: ClusterView, kind: 'secret' | 'config', versions: ReadonlyArray<StoredMeta>): StoredView {
  const latest = versions.at(-1)!
  const { name } = latest
  const usedBy: StoredUse[] = []
  for (const record of Object.values(view.services)) {
    const ref = refsOf(record.spec, kind).find((r) => parseSource(r.source)?.name === name)
    if (ref === undefined) continue
    const running: Record<string, number> = {}
    let outdated = 0
    for (const { nodeId, replica } of view.replicas) {
      if (replica.service !== record.spec.name || stateOf(view, nodeId) === 'dead') continue
      const runs = refsOf(releaseOf(record, replica.generation).spec, kind).find((r) => parseSource(r.source)?.name === name)?.version
      if (runs === undefined) continue
      running[String(runs)] = (running[String(runs)] ?? 0) + 1
      if (runs < latest.version) outdated++
    }
    usedBy.push({ service: record.spec.name, pinned: parseSource(ref.source)?.version !== undefined, version: ref.version ?? latest.version, running, outdated })
  }
  return { name, version: latest.version, versions: versions.map((v) => v.version), createdAt: latest.createdAt, updatedAt: latest.updatedAt, size: latest.size, usedBy }
}

/** What a view needs of a version (SecretRecord and ConfigRecord both have it). */
export interface StoredMeta { name: string, version: number, size: number, createdAt: number, updatedAt: number }
