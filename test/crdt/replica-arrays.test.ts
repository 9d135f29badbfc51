import { describe, it, expect } from 'vitest'
import * as Y from 'yjs'
import { ClusterDocument } from '../../src/crdt/index.ts'
import { ReplicaArrays } from '../../src/crdt/replica-arrays.ts'
import { recordingLogger, replicaRecord, serviceRecord } from './helpers.ts'

const REMOTE = Symbol('remote')

function structCount (doc: ClusterDocument): number {
  return Y.decodeUpdateV2(doc.encodeState()).structs.length
}

describe('replica arrays', () => {
  it('keep a node\'s history about as small as its live replicas', () => {
    const doc = new ClusterDocument({ log: recordingLogger() })
    const services = new ClusterDocument({ log: recordingLogger() })
    for (let i = 0; i < 3000; i++) {
      doc.putReplica('n1', `web#${i % 30}`, replicaRecord('web', i % 30, 'running', i))
      services.putService(`web${i % 30}`, serviceRecord(`web${i % 30}`, i + 1))
    }
    expect(Object.keys(doc.replicasOf('n1'))).toHaveLength(30)
    // Deleted entries merge into runs; a Y.Map keeps one tombstone per overwrite.
    expect(structCount(doc)).toBeLessThan(100)
    expect(structCount(services)).toBeGreaterThan(2900)
  })

  it('resolve a key written concurrently by two writers the same way everywhere, and a later write leaves one entry', () => {
    const a = new ClusterDocument({ log: recordingLogger() })
    const b = new ClusterDocument({ log: recordingLogger() })
    a.putReplica('n1', 'web#0', replicaRecord('web', 0, 'running'))
    b.putReplica('n1', 'web#0', replicaRecord('web', 0, 'healthy'))
    b.applyUpdate(a.encodeDiff(b.encodeStateVector()), REMOTE)
    a.applyUpdate(b.encodeDiff(a.encodeStateVector()), REMOTE)
    expect(a.replicasOf('n1')).toEqual(b.replicasOf('n1'))
    expect(a.replicas()).toHaveLength(1)

    a.putReplica('n1', 'web#0', replicaRecord('web', 0, 'exited'))
    b.applyUpdate(a.encodeDiff(b.encodeStateVector()), REMOTE)
    const entries = new ReplicaArrays(docOf(b))
    expect(entries.of('n1')).toEqual(new Map([['web#0', replicaRecord('web', 0, 'exited')]]))
    expect(docOf(b).getArray('replicas/n1').length).toBe(1)

    b.deleteReplica('n1', 'web#0')
    expect(b.replicasOf('n1')).toEqual({})
    expect(docOf(b).getArray('replicas/n1').length).toBe(0)
  })

  it('do not create anything when reading a node without replicas', () => {
    const doc = new ClusterDocument({ log: recordingLogger() })
    doc.putReplica('n1', 'web#0', replicaRecord('web', 0))
    const before = doc.encodeState()
    expect(doc.replicasOf('n2')).toEqual({})
    doc.deleteReplica('n2', 'web#0')
    expect(doc.replicas().map(entry => entry.nodeId)).toEqual(['n1'])
    expect(doc.encodeState()).toEqual(before)
    expect(new ReplicaArrays(docOf(doc)).nodeIds()).toEqual(['n1'])
  })
})

// The Y.Doc behind a ClusterDocument, for checks of the storage layout only.
function docOf (doc: ClusterDocument): Y.Doc {
  return (doc as unknown as { doc: Y.Doc }).doc
}
