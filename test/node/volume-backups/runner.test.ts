// The backup runner as the storing member: it takes a backup only from the node holding
// the slot's data, files one entry per volume in its own record, and keeps the newest
// `backup.keep` (older files removed).

import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import type { NodeRecord, ServiceRecord } from '../../../src/crdt/index.ts'
import { clusterView } from '../../../src/node/cluster/index.ts'
import { BackupRunner } from '../../../src/node/volume-backups/index.ts'
import type { BackupName, BackupStore } from '../../../src/node/volume-backups/index.ts'
import { silent } from '../../support/logger.ts'

const node = (name: string, fields: Partial<NodeRecord> = {}): NodeRecord => ({ name, host: '127.0.0.1', apiPort: 7700, p2pPort: 7701, labels: {}, draining: false, startedAt: 0, ...fields })
const db: ServiceRecord = {
  spec: { name: 'db', image: 'meshd/postgres:15', env: {}, replicas: 1, ports: [], labels: {}, volumes: [{ source: 'data', target: '/data' }], backup: { every: '1h', keep: 2 } },
  generation: 1, createdAt: 0, updatedAt: 0
}

function setup () {
  const document = new ClusterDocument({ log: silent })
  document.putService('db', db)
  document.putNode('a', node('a', { holds: { 'db#0': { service: 'db', slot: 0, epoch: 1 } } }))
  document.putNode('b', node('b'))
  const removed: BackupName[] = []
  const store = {
    write: async (_name: BackupName, body: Readable) => { for await (const _ of body) { /* drained */ } return { bytes: 3, sha256: 'ab'.repeat(32) } },
    remove: async (name: BackupName) => { removed.push(name) }
  } as unknown as BackupStore
  const runner = new BackupRunner({
    nodeId: 'b', document, log: silent, store,
    view: () => clusterView(document.snapshot(), 'b', () => 'alive', Date.now()),
    runtime: { exec: async () => ({ exitCode: 0, output: '' }), exportVolume: async () => Readable.from([]) },
    volumeName: (service, source, slot) => `${service}-${source}-${slot}`,
    containerOf: () => undefined,
    push: async () => ({ bytes: 0, sha256: '' })
  })
  return { document, runner, removed }
}

describe('BackupRunner, storing', () => {
  it('takes a backup only from the node that holds the slot\'s data', async () => {
    const { runner } = setup()
    await expect(runner.take('backup/db/0/data/1000', 'b', Readable.from([Buffer.from('tar')]))).rejects.toThrow(/does not hold/)
    await expect(runner.take('backup/db/0/other/1000', 'a', Readable.from([Buffer.from('tar')]))).rejects.toThrow(/no such backup/)
    await expect(runner.take('backup/../0/data/1000', 'a', Readable.from([Buffer.from('tar')]))).rejects.toThrow(/no such backup/)
  })

  it('files each backup in its own record and keeps the newest backup.keep', async () => {
    const { document, runner, removed } = setup()
    for (const at of [1000, 2000, 3000]) await runner.take(`backup/db/0/data/${at}`, 'a', Readable.from([Buffer.from('tar')]))
    const entries = Object.values(document.node('b')?.backups ?? {})
    expect(entries.map((e) => e.at).sort()).toEqual([2000, 3000])
    expect(entries[0]).toMatchObject({ service: 'db', slot: 0, source: 'data', bytes: 3, from: 'a' })
    expect(removed).toEqual([expect.objectContaining({ at: 1000 })])
  })
})
