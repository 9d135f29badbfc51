// The volume keeper: this node's holds follow what runs here; a slot placed elsewhere
// releases its data once its replica is gone; the copy is deleted only once another node
// holds the data at a later epoch; only a released volume is handed out.

import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import type { NodeRecord, ServiceRecord } from '../../../src/crdt/index.ts'
import type { DesiredSlot } from '../../../src/node/cluster/index.ts'
import { VolumeKeeper } from '../../../src/node/reconciler/volumes.ts'
import type { VolumeRuntime } from '../../../src/node/reconciler/volumes.ts'
import { silent } from '../../support/logger.ts'

const record: ServiceRecord = {
  spec: { name: 'db', image: 'meshd/postgres:15', env: {}, replicas: 1, ports: [], labels: {}, volumes: [{ source: 'data', target: '/data' }] },
  generation: 1, createdAt: 0, updatedAt: 0
}
const node = (name: string, holds?: NodeRecord['holds']): NodeRecord => ({ name, host: '127.0.0.1', apiPort: 7700, p2pPort: 7701, labels: {}, draining: false, startedAt: 0, ...(holds === undefined ? {} : { holds }) })
const slot = (data: DesiredSlot['data']): DesiredSlot => ({ key: 'db#0', service: 'db', slot: 0, generation: 1, stopFirst: true, ...(data === undefined ? {} : { data }) })

function setup () {
  const document = new ClusterDocument({ log: silent })
  document.putNode('a', node('a'))
  document.putNode('b', node('b'))
  const calls: string[] = []
  const runtime: VolumeRuntime = {
    exportVolume: async (name) => { calls.push(`export ${name}`); return Readable.from([Buffer.from('tar')]) },
    importVolume: async (name, labels, image, tar) => { for await (const _ of tar) { /* drained */ } calls.push(`import ${name} ${labels.source} ${image}`) },
    removeVolume: async (name) => { calls.push(`remove ${name}`) },
    listVolumes: async () => [{ name: 'vol-a-db-data-0', service: 'db', slot: 0, source: 'data' }]
  }
  const nodes = (): Record<string, NodeRecord> => Object.fromEntries(['a', 'b'].map((id) => [id, document.node(id)!]))
  const keeper = new VolumeKeeper({
    nodeId: 'a', nodeName: 'a', document, runtime, log: silent,
    volumeName: (service, source, n) => `vol-a-${service}-${source}-${n}`,
    service: (name) => name === 'db' ? record : undefined,
    nodes,
    pull: async (from, resource) => { calls.push(`pull ${from.name} ${resource}`); return Readable.from([Buffer.from('tar')]) }
  })
  return { document, keeper, calls }
}

describe('VolumeKeeper', () => {
  it('holds the data of a stateful slot that runs here, at its epoch', () => {
    const { document, keeper } = setup()
    keeper.started(slot({ epoch: 1 }))
    expect(document.node('a')?.holds).toEqual({ 'db#0': { service: 'db', slot: 0, epoch: 1 } })
    // An adopted replica after a restart keeps the same hold: nothing rewritten.
    keeper.settle([slot({ epoch: 1 })], new Set(['db#0']))
    expect(document.node('a')?.holds?.['db#0']?.released).toBeUndefined()
  })

  it('releases the data once the slot is placed elsewhere and its replica is gone, and only then hands it out', async () => {
    const { document, keeper, calls } = setup()
    keeper.started(slot({ epoch: 1 }))
    keeper.settle([], new Set(['db#0']))
    expect(document.node('a')?.holds?.['db#0']?.released).toBeUndefined()
    expect(await keeper.open('volume/db/0/data')).toBeUndefined()
    keeper.settle([], new Set())
    expect(document.node('a')?.holds?.['db#0']?.released).toBe(true)
    expect(await keeper.open('volume/db/0/data')).toBeDefined()
    expect(await keeper.open('volume/db/0/other')).toBeUndefined()
    expect(await keeper.open('volume/../0/data')).toBeUndefined()
    expect(calls).toEqual(['export vol-a-db-data-0'])
  })

  it('deletes its copy only once another node holds the data at a later epoch', async () => {
    const { document, keeper, calls } = setup()
    keeper.started(slot({ epoch: 1 }))
    keeper.settle([], new Set())
    expect(calls).toEqual([])
    document.putNode('b', node('b', { 'db#0': { service: 'db', slot: 0, epoch: 2 } }))
    keeper.settle([], new Set())
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(calls).toEqual(['remove vol-a-db-data-0'])
    expect(document.node('a')?.holds).toEqual({})
  })

  it('copies every volume from the node that released it before a start', async () => {
    const { document, keeper, calls } = setup()
    document.putNode('b', node('b', { 'db#0': { service: 'db', slot: 0, epoch: 1, released: true } }))
    await keeper.prepare(slot({ epoch: 2, from: 'b' }), record)
    expect(calls).toEqual(['pull b volume/db/0/data', 'import vol-a-db-data-0 data meshd/postgres:15'])
    keeper.started(slot({ epoch: 2, from: 'b' }))
    expect(document.node('a')?.holds?.['db#0']).toEqual({ service: 'db', slot: 0, epoch: 2 })
  })
})
