import { describe, it, expect } from 'vitest'
import { ClusterDocument, LOCAL } from '../../src/crdt/index.ts'
import type { DocumentChange } from '../../src/crdt/index.ts'
import { nodeRecord, recordingLogger, replicaRecord, rolloutRecord, serviceRecord, tempDir } from './helpers.ts'

const REMOTE = Symbol('remote')

function memoryDocument (): ClusterDocument {
  return new ClusterDocument({ log: recordingLogger() })
}

function recordChanges (doc: ClusterDocument): DocumentChange[] {
  const changes: DocumentChange[] = []
  doc.on('change', change => changes.push(change))
  return changes
}

function countUpdates (doc: ClusterDocument): { count: number } {
  const counter = { count: 0 }
  doc.on('update', () => { counter.count += 1 })
  return counter
}

describe('ClusterDocument reads and writes', () => {
  it('reads back each kind of record', () => {
    const doc = memoryDocument()
    doc.putService('web', serviceRecord('web'))
    doc.putNode('n1', nodeRecord('alpha'))
    doc.putReplica('n1', 'web#0', replicaRecord('web', 0))
    doc.putReplica('n1', 'web#1', replicaRecord('web', 1))
    doc.putReplica('n2', 'web#2', replicaRecord('web', 2))
    doc.putRollout('web', rolloutRecord(2))

    expect(doc.service('web')).toEqual(serviceRecord('web'))
    expect(doc.services()).toEqual({ web: serviceRecord('web') })
    expect(doc.node('n1')).toEqual(nodeRecord('alpha'))
    expect(doc.nodes()).toEqual({ n1: nodeRecord('alpha') })
    expect(doc.replicasOf('n1')).toEqual({ 'web#0': replicaRecord('web', 0), 'web#1': replicaRecord('web', 1) })
    expect(doc.replicasOf('n3')).toEqual({})
    expect(doc.replicas()).toEqual([
      { nodeId: 'n1', key: 'web#0', replica: replicaRecord('web', 0) },
      { nodeId: 'n1', key: 'web#1', replica: replicaRecord('web', 1) },
      { nodeId: 'n2', key: 'web#2', replica: replicaRecord('web', 2) }
    ])
    expect(doc.rollout('web')).toEqual(rolloutRecord(2))
    expect(doc.rollouts()).toEqual({ web: rolloutRecord(2) })
    expect(doc.service('nope')).toBeUndefined()
    expect(doc.node('nope')).toBeUndefined()
    expect(doc.rollout('nope')).toBeUndefined()
  })

  it('deletes entries, and deleting a missing entry is a no-op', () => {
    const doc = memoryDocument()
    doc.putService('web', serviceRecord('web'))
    doc.putNode('n1', nodeRecord('alpha'))
    doc.putReplica('n1', 'web#0', replicaRecord('web', 0))
    doc.putRollout('web', rolloutRecord(2))
    const updates = countUpdates(doc)

    doc.deleteService('web')
    doc.deleteNode('n1')
    doc.deleteReplica('n1', 'web#0')
    doc.deleteRollout('web')
    expect(updates.count).toBe(4)
    expect([doc.services(), doc.nodes(), doc.replicas(), doc.rollouts()]).toEqual([{}, {}, [], {}])

    doc.deleteService('web')
    doc.deleteReplica('n1', 'web#0')
    expect(updates.count).toBe(4)
  })

  it('returns copies: mutating a read or a written object does not change the document', () => {
    const doc = memoryDocument()
    const written = serviceRecord('web')
    doc.putService('web', written)
    written.spec.env.MODE = 'changed-after-write'

    const read = doc.service('web')
    if (read === undefined) throw new Error('missing')
    read.spec.env.MODE = 'changed-after-read'
    const all = doc.services()
    if (all.web !== undefined) all.web.generation = 99

    expect(doc.service('web')).toEqual(serviceRecord('web'))
  })

  it('lists entries in key order', () => {
    const doc = memoryDocument()
    for (const name of ['zeta', 'alpha', 'mid']) doc.putService(name, serviceRecord(name))
    expect(Object.keys(doc.services())).toEqual(['alpha', 'mid', 'zeta'])
  })

  it('stores records as JSON carries them: undefined members are dropped', () => {
    const doc = memoryDocument()
    doc.putService('web', { ...serviceRecord('web'), previous: undefined })
    expect(Object.keys(doc.service('web') ?? {})).not.toContain('previous')
  })

  it('rejects what could not round-trip through peers', () => {
    const doc = memoryDocument()
    expect(() => doc.putReplica('', 'web#0', replicaRecord('web', 0))).toThrow(TypeError)
    expect(() => doc.putReplica('n1', '', replicaRecord('web', 0))).toThrow(TypeError)
    expect(() => doc.putService('', serviceRecord('web'))).toThrow(TypeError)
    const labels = JSON.parse('{"__proto__": "x"}') as Record<string, string>
    expect(() => doc.putNode('n1', { ...nodeRecord('a'), labels })).toThrow(/__proto__/)
    expect(doc.nodes()).toEqual({})
  })

  it('skips a write deep-equal to the current value: no update, no history growth', () => {
    const doc = memoryDocument()
    doc.putReplica('n1', 'web#0', replicaRecord('web', 0))
    const before = doc.encodeState()
    const updates = countUpdates(doc)
    const changes = recordChanges(doc)

    // Same content, different object and key order.
    const reordered = Object.fromEntries(Object.entries(replicaRecord('web', 0)).reverse()) as unknown as ReturnType<typeof replicaRecord>
    doc.putReplica('n1', 'web#0', reordered)
    doc.transact(() => { doc.putReplica('n1', 'web#0', replicaRecord('web', 0)) })

    expect(updates.count).toBe(0)
    expect(changes).toEqual([])
    expect(doc.encodeState()).toEqual(before)
    doc.putReplica('n1', 'web#0', replicaRecord('web', 0, 'unhealthy'))
    expect(updates.count).toBe(1)
  })
})

describe('ClusterDocument events', () => {
  it('flags the maps a local write touched, with origin LOCAL', () => {
    const doc = memoryDocument()
    const changes = recordChanges(doc)
    doc.putService('web', serviceRecord('web'))
    doc.putReplica('n1', 'web#0', replicaRecord('web', 0))
    expect(changes).toEqual([
      { origin: LOCAL, local: true, services: true, nodes: false, replicas: false, rollouts: false, drains: false, tokens: false, removals: false, secrets: false, configs: false, alerts: false, alertStates: false, certs: false, acme: false, autoscale: false },
      { origin: LOCAL, local: true, services: false, nodes: false, replicas: true, rollouts: false, drains: false, tokens: false, removals: false, secrets: false, configs: false, alerts: false, alertStates: false, certs: false, acme: false, autoscale: false }
    ])
  })

  it('batches a transaction into one update and one change event', () => {
    const doc = memoryDocument()
    const changes = recordChanges(doc)
    const updates = countUpdates(doc)
    const origin = Symbol('api')
    doc.transact(() => {
      doc.putService('web', serviceRecord('web'))
      doc.putNode('n1', nodeRecord('alpha'))
      doc.transact(() => { doc.putRollout('web', rolloutRecord(1)) })
    }, origin)
    expect(updates.count).toBe(1)
    expect(changes).toEqual([{ origin, local: true, services: true, nodes: true, replicas: false, rollouts: true, drains: false, tokens: false, removals: false, secrets: false, configs: false, alerts: false, alertStates: false, certs: false, acme: false, autoscale: false }])
  })

  it('announces a change that touches only drains or only tokens', () => {
    const doc = memoryDocument()
    const changes = recordChanges(doc)
    doc.putDrain('n1', { draining: true, updatedAt: 1 })
    doc.putToken('ci', { hash: 'ab', role: 'viewer', createdAt: 1, createdBy: 'test' })
    expect(changes.map((c) => [c.drains, c.tokens])).toEqual([[true, false], [false, true]])
  })

  it('marks updates applied from a peer as not local, with the given origin', () => {
    const writer = memoryDocument()
    const reader = memoryDocument()
    const updates: Array<[Uint8Array, unknown]> = []
    writer.on('update', (update, origin) => updates.push([update, origin]))
    writer.transact(() => {
      writer.putNode('n1', nodeRecord('alpha'))
      writer.putReplica('n1', 'web#0', replicaRecord('web', 0))
    })
    expect(updates.map(([, origin]) => origin)).toEqual([LOCAL])

    const changes = recordChanges(reader)
    const relayed: unknown[] = []
    reader.on('update', (_update, origin) => relayed.push(origin))
    for (const [update] of updates) reader.applyUpdate(update, REMOTE)
    expect(changes).toEqual([{ origin: REMOTE, local: false, services: false, nodes: true, replicas: true, rollouts: false, drains: false, tokens: false, removals: false, secrets: false, configs: false, alerts: false, alertStates: false, certs: false, acme: false, autoscale: false }])
    expect(relayed).toEqual([REMOTE])
    expect(reader.nodes()).toEqual(writer.nodes())

    // The same update again changes nothing and says nothing.
    for (const [update] of updates) reader.applyUpdate(update, REMOTE)
    expect(changes).toHaveLength(1)
  })

  it('survives a listener that throws, and logs it', () => {
    const log = recordingLogger()
    const doc = new ClusterDocument({ log })
    doc.on('change', () => { throw new Error('listener bug') })
    doc.putService('web', serviceRecord('web'))
    doc.putService('api', serviceRecord('api'))
    expect(Object.keys(doc.services())).toEqual(['api', 'web'])
    expect(log.errors).toHaveLength(2)
  })

  it('lets a change listener write, persisted and announced in order', () => {
    const doc = memoryDocument()
    const seen: string[] = []
    doc.on('change', change => {
      seen.push(change.services ? 'services' : 'rollouts')
      if (change.services) doc.putRollout('web', rolloutRecord(1))
    })
    doc.putService('web', serviceRecord('web'))
    expect(seen).toEqual(['services', 'rollouts'])
    expect(doc.rollout('web')).toEqual(rolloutRecord(1))
  })
})

describe('ClusterDocument sync', () => {
  it('brings a peer up to date from its state vector', () => {
    const a = memoryDocument()
    const b = memoryDocument()
    a.putService('web', serviceRecord('web'))
    b.applyUpdate(a.encodeState(), REMOTE)
    a.putService('api', serviceRecord('api'))
    a.deleteService('web')
    b.putNode('nb', nodeRecord('beta'))

    const diff = a.encodeDiff(b.encodeStateVector())
    expect(diff.byteLength).toBeLessThan(a.encodeState().byteLength)
    b.applyUpdate(diff, REMOTE)
    a.applyUpdate(b.encodeDiff(a.encodeStateVector()), REMOTE)
    expect(b.services()).toEqual({ api: serviceRecord('api') })
    expect(a.nodes()).toEqual(b.nodes())
    expect(a.encodeState()).toEqual(b.encodeState())
  })
})

describe('ClusterDocument lifecycle', () => {
  it('refuses writes outside start()..stop() when it persists, and start/stop are idempotent', async () => {
    const tmp = tempDir()
    try {
      const doc = new ClusterDocument({ log: recordingLogger(), dataDir: tmp.dir })
      expect(() => doc.putService('web', serviceRecord('web'))).toThrow(/not started/)
      await doc.start()
      await doc.start()
      doc.putService('web', serviceRecord('web'))
      await doc.stop()
      await doc.stop()
      expect(() => doc.putService('api', serviceRecord('api'))).toThrow(/not started/)
      expect(doc.services()).toEqual({ web: serviceRecord('web') })
      await doc.start()
      expect(doc.services()).toEqual({ web: serviceRecord('web') })
      doc.putService('api', serviceRecord('api'))
      await doc.stop()
    } finally {
      tmp.remove()
    }
  })

  it('writes without a dataDir at any time, start() or not', async () => {
    const doc = memoryDocument()
    doc.putService('web', serviceRecord('web'))
    await doc.start()
    await doc.stop()
    doc.putService('api', serviceRecord('api'))
    expect(Object.keys(doc.services())).toEqual(['api', 'web'])
  })
})
