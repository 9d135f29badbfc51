// Volume backups as a node's part. As the holder of a slot's data it takes the slot's
// backups on schedule (`backup.every`): the service's `backup.command` first, in the
// running replica (e.g. a dump into the volume, for a consistent copy), then an archive
// of each volume pushed to the member that stores the slot's backups (rendezvous
// hashing). As that member it stores what it receives (store.ts), files an entry per
// volume in its own node record, keeps the newest `backup.keep`, and hands a stored
// backup to a node restoring a slot whose holder is lost.

import type { Readable } from 'node:stream'
import type { ClusterDocument, NodeRecord, ServiceSpec } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import { slotKey } from '../../placement/index.ts'
import { backupKey, backupTarget, dueBackups, holderOf, parseSlotResource, slotResource } from '../cluster/index.ts'
import type { ClusterView } from '../cluster/index.ts'
import type { BackupName, BackupStore } from './store.ts'

/** How often a node looks for slots due for a backup. */
export const BACKUP_CHECK_MS = 10_000
/** How long the backup command may run. */
export const BACKUP_COMMAND_TIMEOUT_MS = 10 * 60_000

export interface BackupRunnerInit {
  nodeId: string
  document: ClusterDocument
  log: Logger
  view: () => ClusterView
  store: BackupStore
  runtime: {
    exec: (id: string, cmd: string[], opts?: { timeoutMs?: number }) => Promise<{ exitCode: number, output: string }>
    exportVolume: (name: string, image: string) => Promise<Readable>
  }
  /** This node's Docker volume of a slot's source. */
  volumeName: (service: string, source: string, slot: number) => string
  /** The container running slot `key` here, if one runs. */
  containerOf: (key: string) => string | undefined
  /** Pushes an archive to a member (transfer/). */
  push: (node: NodeRecord, resource: string, body: Readable) => Promise<{ bytes: number, sha256: string }>
  checkMs?: number
}

/** The stored backup a `backup/SERVICE/SLOT/SOURCE/AT` resource names. */
export function parseBackupResource (resource: string): BackupName | undefined {
  const parsed = parseSlotResource(resource, 'backup')
  return parsed === undefined ? undefined : { service: parsed.service, slot: parsed.slot, source: parsed.source, at: parsed.at ?? 0 }
}

export class BackupRunner {
  private readonly init: BackupRunnerInit
  private timer: NodeJS.Timeout | undefined
  private readonly running = new Set<string>()
  /** Why the last backup of a slot failed, so one failure is logged once. */
  private readonly failures = new Map<string, string>()

  constructor (init: BackupRunnerInit) {
    this.init = init
  }

  async start (): Promise<void> {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => { this.check() }, this.init.checkMs ?? BACKUP_CHECK_MS)
    this.timer.unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /** Starts the backups that are due (each slot one at a time). */
  check (): void {
    const view = this.init.view()
    const running = new Set(Object.keys(view.nodes[view.self]?.holds ?? {}).filter((key) => this.init.containerOf(key) !== undefined))
    for (const { service, slot, key } of dueBackups(view, running)) {
      if (this.running.has(key)) continue
      this.running.add(key)
      this.backUp(view, service, slot).catch((err: Error) => {
        if (this.failures.get(key) !== err.message) this.init.log.warn({ slot: key, err: err.message }, 'backup failed; trying again at the next check')
        this.failures.set(key, err.message)
      }).finally(() => { this.running.delete(key) })
    }
  }

  /** Takes one backup of every volume of a slot this node holds, now. */
  async backUp (view: ClusterView, service: string, slot: number): Promise<{ at: number, target: string }> {
    const key = slotKey(service, slot)
    const spec = view.services[service]?.spec
    const container = this.init.containerOf(key)
    if (spec?.backup === undefined || container === undefined) throw new Error(`${key} has no backup schedule or no running replica here`)
    const target = backupTarget(view, key)
    const node = target === undefined ? undefined : view.nodes[target]
    if (target === undefined || node === undefined) throw new Error('no other member to store the backup on')
    const at = Date.now()
    if (spec.backup.command !== undefined) {
      const result = await this.init.runtime.exec(container, spec.backup.command, { timeoutMs: BACKUP_COMMAND_TIMEOUT_MS })
      if (result.exitCode !== 0) throw new Error(`backup.command exited ${result.exitCode}: ${result.output.slice(-500)}`)
    }
    for (const volume of spec.volumes ?? []) {
      const archive = await this.init.runtime.exportVolume(this.init.volumeName(service, volume.source, slot), spec.image)
      const sent = await this.init.push(node, slotResource({ kind: 'backup', service, slot, source: volume.source, at }), archive)
      this.init.log.info({ slot: key, volume: volume.source, to: node.name, bytes: sent.bytes }, 'volume backed up')
    }
    this.failures.delete(key)
    return { at, target }
  }

  /** Stores a backup a holder pushed here; refused unless the sender holds the slot's data. */
  async take (resource: string, from: string, body: Readable): Promise<void> {
    const name = parseBackupResource(resource)
    const view = this.init.view()
    const spec = name === undefined ? undefined : view.services[name.service]?.spec
    if (name === undefined || spec?.backup === undefined || !(spec.volumes ?? []).some((v) => v.source === name.source)) throw new Error(`${resource}: no such backup to take`)
    if (holderOf(view, slotKey(name.service, name.slot))?.node !== from) throw new Error(`${resource}: the sender does not hold this slot's data`)
    const stored = await this.init.store.write(name, body)
    this.file({ ...name, ...stored, from }, spec)
  }

  /**
   * A live archive of one volume of a slot this node holds (`snapshot/SERVICE/SLOT/SOURCE`,
   * for `meshd volume backup`): the service's backup.command runs in the replica first.
   */
  async snapshot (resource: string): Promise<Readable | undefined> {
    const parsed = parseSlotResource(resource, 'snapshot')
    if (parsed === undefined) return undefined
    const { service, slot, source } = parsed
    const key = slotKey(service, slot)
    const view = this.init.view()
    const spec = view.services[service]?.spec
    const hold = view.nodes[view.self]?.holds?.[key]
    if (spec === undefined || hold === undefined || hold.released === true || !(spec.volumes ?? []).some((v) => v.source === source)) return undefined
    const container = this.init.containerOf(key)
    if (spec.backup?.command !== undefined && container !== undefined) {
      const result = await this.init.runtime.exec(container, spec.backup.command, { timeoutMs: BACKUP_COMMAND_TIMEOUT_MS })
      if (result.exitCode !== 0) throw new Error(`backup.command exited ${result.exitCode}: ${result.output.slice(-500)}`)
    }
    return await this.init.runtime.exportVolume(this.init.volumeName(service, source, slot), spec.image)
  }

  /** A stored backup's archive, for a node restoring the slot. */
  async open (resource: string): Promise<Readable | undefined> {
    const name = parseBackupResource(resource)
    return name === undefined ? undefined : await this.init.store.open(name)
  }

  /** Files a stored backup in this node's record and drops the ones past `keep` (record first, then the file). */
  private file (entry: BackupName & { bytes: number, sha256: string, from: string }, spec: ServiceSpec): void {
    const { document, nodeId } = this.init
    const record = document.node(nodeId)
    if (record === undefined) return
    const backups = { ...record.backups, [backupKey(entry)]: entry }
    const same = Object.entries(backups)
      .filter(([, b]) => b.service === entry.service && b.slot === entry.slot && b.source === entry.source)
      .sort(([, a], [, b]) => b.at - a.at)
    const dropped = same.slice(spec.backup?.keep ?? same.length)
    for (const [key] of dropped) delete backups[key]
    document.putNode(nodeId, { ...record, backups })
    for (const [, old] of dropped) void this.init.store.remove(old)
  }
}
