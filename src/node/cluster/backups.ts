// Volume backups: which of a node's slots are due for one, which member stores it
// (rendezvous hashing over the other members), and the latest complete backup of a slot
// that a member not dead still stores — what a slot whose node is lost restores from.

import type { BackupEntry, ServiceSpec } from '../../crdt/index.ts'
import { byText, hash32, slotKey } from '../../placement/index.ts'
import { parseDuration } from '../spec/index.ts'
import { notDead } from './view.ts'
import type { ClusterView } from './view.ts'

/** Where a backup entry is filed in its storing node's record. */
export function backupKey (entry: Pick<BackupEntry, 'service' | 'slot' | 'source' | 'at'>): string {
  return `${slotKey(entry.service, entry.slot)}/${entry.source}@${entry.at}`
}

/** A stored backup with the member that stores it. */
export interface StoredBackup extends BackupEntry {
  nodeId: string
  node: string
}

/** Every backup the members store, of one service (or all), newest first. */
export function backupsOf (view: ClusterView, service?: string): StoredBackup[] {
  const all: StoredBackup[] = []
  for (const [nodeId, record] of Object.entries(view.nodes)) {
    if (view.removals[nodeId] !== undefined) continue
    for (const entry of Object.values(record.backups ?? {})) {
      if (service === undefined || entry.service === service) all.push({ ...entry, nodeId, node: record.name })
    }
  }
  return all.sort((a, b) => b.at - a.at || byText(a.service, b.service) || a.slot - b.slot || byText(a.source, b.source))
}

/** The newest backup of slot `slot` of `spec` with every volume stored on one member not dead. */
export function latestBackup (view: ClusterView, spec: ServiceSpec, slot: number): { nodeId: string, at: number } | undefined {
  const sources = (spec.volumes ?? []).map((v) => v.source)
  const runs = new Map<string, Set<string>>()
  for (const entry of backupsOf(view, spec.name)) {
    if (entry.slot !== slot || !notDead(view, entry.nodeId)) continue
    const run = `${entry.nodeId}\u0000${entry.at}`
    runs.set(run, (runs.get(run) ?? new Set()).add(entry.source))
  }
  let best: { nodeId: string, at: number } | undefined
  for (const [run, have] of runs) {
    const [nodeId = '', at = '0'] = run.split('\u0000')
    if (sources.every((s) => have.has(s)) && (best === undefined || Number(at) > best.at)) best = { nodeId, at: Number(at) }
  }
  return best
}

/** The member that stores the backups of slot `key` taken by `self`: not dead, not draining, not itself. */
export function backupTarget (view: ClusterView, key: string): string | undefined {
  let best: string | undefined
  let bestScore = -1
  for (const id of Object.keys(view.nodes).sort()) {
    if (id === view.self || !notDead(view, id) || view.drains[id]?.draining === true || view.removals[id] !== undefined) continue
    const score = hash32(`${key}\u0000backup\u0000${id}`)
    if (score > bestScore) {
      best = id
      bestScore = score
    }
  }
  return best
}

/** The slots this node holds (and runs) whose last backup, wherever stored, is older than their `backup.every`. */
export function dueBackups (view: ClusterView, running: ReadonlySet<string>): Array<{ service: string, slot: number, key: string }> {
  const holds = view.nodes[view.self]?.holds ?? {}
  const due: Array<{ service: string, slot: number, key: string }> = []
  for (const [key, hold] of Object.entries(holds)) {
    const spec = view.services[hold.service]?.spec
    if (spec?.backup === undefined || hold.released === true || !running.has(key)) continue
    const every = parseDuration(spec.backup.every)
    const last = backupsOf(view, hold.service).find((b) => b.slot === hold.slot)?.at
    if (last === undefined || last + every <= view.now) due.push({ service: hold.service, slot: hold.slot, key })
  }
  return due
}
