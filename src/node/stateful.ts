// The parts behind stateful services, wired to the transfer channel: the volume keeper
// (a slot's data held, released, copied in from its previous node or a backup, deleted
// once superseded) and the backup runner (backups taken on schedule, stored for others,
// handed out for a restore).

import { join } from 'node:path'
import type { ClusterDocument, NodeRecord, ServiceRecord } from '../crdt/index.ts'
import type { Logger } from '../logger.ts'
import { BackupRunner, BackupStore, storeKeyOf } from './volume-backups/index.ts'
import type { ClusterView } from './cluster/index.ts'
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
  /** Peers' APIs speak TLS (every node of a cluster is configured alike). */
  tls: boolean
  log: (part: string) => Logger
}

export function statefulParts (init: StatefulInit): { keeper: VolumeKeeper, backups: BackupRunner } {
  const { transfer, runtime } = init
  const nameOf = (service: string, source: string, slot: number): string => volumeName(init.nodeName, service, source, slot)
  const peer = (node: NodeRecord) => ({ host: node.host, port: node.apiPort, name: node.name, ...(init.tls ? { tls: true } : {}) })
  const keeper = new VolumeKeeper({
    nodeId: init.nodeId, nodeName: init.nodeName, document: init.document, runtime, log: init.log('volumes'),
    volumeName: nameOf, service: init.service, nodes: () => init.view().nodes,
    pull: async (node, resource) => await transfer.pull(peer(node), resource)
  })
  const backups = new BackupRunner({
    nodeId: init.nodeId, document: init.document, log: init.log('backups'), view: init.view,
    store: new BackupStore({ dir: join(init.dataDir, 'backups'), key: storeKeyOf(init.secret) }),
    runtime, volumeName: nameOf, containerOf: init.containerOf,
    push: async (node, resource, body) => await transfer.push(peer(node), resource, body)
  })
  transfer.serve('volume', async (resource) => await keeper.open(resource))
  transfer.serve('backup', async (resource) => await backups.open(resource))
  transfer.accept('backup', async (resource, from, body) => { await backups.take(resource, from, body) })
  return { keeper, backups }
}
