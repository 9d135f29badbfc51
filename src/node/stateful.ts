// The parts behind stateful services, wired to the transfer channel: the volume keeper
// (a slot's data held, released, copied in from its previous node or a backup, restored
// from an archive, deleted once superseded), the backup runner (backups taken on
// schedule, stored for others, handed out for a restore), and the volume archives the
// API gives and takes (`meshd volume backup|restore`), through whichever node holds them.

import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type { ClusterDocument, NodeRecord, ServiceRecord } from '../crdt/index.ts'
import type { Logger } from '../logger.ts'
import { slotKey } from '../placement/index.ts'
import { BackupRunner, BackupStore, openArchive, sealArchive, storeKeyOf } from './volume-backups/index.ts'
import { holderOf, slotResource } from './cluster/index.ts'
import type { ClusterView } from './cluster/index.ts'
import { MeshdError } from './errors.ts'
import { VolumeKeeper } from './reconciler/index.ts'
import { volumeName } from './runtime/index.ts'
import type { Runtime } from './runtime/index.ts'
import type { TransferService } from './transfer/index.ts'

export interface StatefulInit {
  nodeId: string
  nodeName: string
  dataDir: string
  /** The cluster secret: the backup store's key derives from it. */
  secret: Uint8Array
  document: ClusterDocument
  runtime: Runtime
  transfer: TransferService
  view: () => ClusterView
  service: (name: string) => ServiceRecord | undefined
  /** The container running slot `key` on this node (the reconciler's). */
  containerOf: (key: string) => string | undefined
  /** Asks the reconciler for a tick. */
  wake: () => void
  /** Peers' APIs speak TLS (every node of a cluster is configured alike). */
  tls: boolean
  log: (part: string) => Logger
}

/** The volume archives of the API: sealed files out, sealed files in, whichever node holds the volume. */
export interface VolumeArchives {
  archive: (service: string, slot: number, source: string) => Promise<Readable>
  restore: (service: string, slot: number, source: string, sealed: Readable) => Promise<void>
}

export function statefulParts (init: StatefulInit): { keeper: VolumeKeeper, backups: BackupRunner, archives: VolumeArchives } {
  const { transfer, runtime } = init
  const storeKey = storeKeyOf(init.secret)
  const nameOf = (service: string, source: string, slot: number): string => volumeName(init.nodeName, service, source, slot)
  const peer = (node: NodeRecord) => ({ host: node.host, port: node.apiPort, name: node.name, ...(init.tls ? { tls: true } : {}) })
  const keeper = new VolumeKeeper({
    nodeId: init.nodeId, nodeName: init.nodeName, document: init.document, runtime, log: init.log('volumes'),
    volumeName: nameOf, service: init.service, nodes: () => init.view().nodes,
    pull: async (node, resource) => await transfer.pull(peer(node), resource),
    spool: new BackupStore({ dir: join(init.dataDir, 'spool'), key: storeKey }), wake: init.wake
  })
  const backups = new BackupRunner({
    nodeId: init.nodeId, document: init.document, log: init.log('backups'), view: init.view,
    store: new BackupStore({ dir: join(init.dataDir, 'backups'), key: storeKey }),
    runtime, volumeName: nameOf, containerOf: init.containerOf,
    push: async (node, resource, body) => await transfer.push(peer(node), resource, body)
  })
  transfer.serve('volume', async (resource) => await keeper.open(resource))
  transfer.serve('snapshot', async (resource) => await backups.snapshot(resource))
  transfer.serve('backup', async (resource) => await backups.open(resource))
  transfer.accept('backup', async (resource, from, body) => { await backups.take(resource, from, body) })
  transfer.accept('restore', async (resource, _from, body) => { await keeper.restore(resource, body) })

  const holderNode = (service: string, slot: number, source: string): NodeRecord => {
    const view = init.view()
    const spec = view.services[service]?.spec
    if (spec === undefined) throw new MeshdError('MESHD_SERVICE_NOT_FOUND', `no service "${service}"`, 'name')
    if (!(spec.volumes ?? []).some((v) => v.source === source)) throw new MeshdError('MESHD_VOLUME_NOT_FOUND', `service "${service}" has no volume "${source}"`, 'volume')
    const holder = holderOf(view, slotKey(service, slot))
    const node = holder === undefined ? undefined : view.nodes[holder.node]
    if (holder === undefined || node === undefined || holder.released) throw new MeshdError('MESHD_VOLUME_NOT_FOUND', `no node holds the data of ${service}.${slot} now`, 'slot')
    return node
  }
  const archives: VolumeArchives = {
    archive: async (service, slot, source) => {
      const plain = await transfer.pull(peer(holderNode(service, slot, source)), slotResource({ kind: 'snapshot', service, slot, source }))
      return sealArchive(storeKey, plain).sealed
    },
    restore: async (service, slot, source, sealed) => {
      const node = holderNode(service, slot, source)
      const label = `the archive of ${service}.${slot}/${source}`
      let plain: Readable
      try {
        plain = await openArchive(storeKey, sealed, label)
      } catch (err) {
        throw new MeshdError('MESHD_BACKUP_INVALID', `${(err as Error).message}; nothing was changed`, 'body')
      }
      // A bad frame ends the push early: the holder checks every archive whole before it touches the volume.
      let bad: Error | undefined
      plain.once('error', (err) => { bad = err })
      try {
        await transfer.push(peer(node), slotResource({ kind: 'restore', service, slot, source }), plain)
      } catch (err) {
        if (bad !== undefined) throw new MeshdError('MESHD_BACKUP_INVALID', `${bad.message}; nothing was changed`, 'body')
        throw err
      }
    }
  }
  return { keeper, backups, archives }
}
