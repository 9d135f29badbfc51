// What a node believes of the document: shapes and seals, members and removals.

import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import type { NodeRecord, ReplicaRecord, ServiceRecord } from '../../../src/crdt/index.ts'
import { nodeSeal, screen, SealChecker } from '../../../src/node/trust/index.ts'
import { silent } from '../../support/logger.ts'

interface Member { id: string, document: ClusterDocument }

/** A member writing into its own copy of the document, sealed with its own key. */
async function member (): Promise<Member> {
  const key = await generateKeyPair('Ed25519')
  const id = peerIdFromPrivateKey(key).toString()
  return { id, document: new ClusterDocument({ log: silent, seal: nodeSeal(id, key) }) }
}

/** Everything `from` wrote, applied to `to` (as gossip would). */
function relay (from: ClusterDocument, to: ClusterDocument): void {
  to.applyUpdate(from.encodeState(), 'peer')
}

const node = (name: string): NodeRecord => ({ name, host: '127.0.0.1', apiPort: 7700, p2pPort: 7701, labels: {}, draining: false, startedAt: 1 })
const service = (name: string, spec: Record<string, unknown> = {}): ServiceRecord =>
  ({ spec: { name, image: 'meshd/busybox:latest', env: {}, replicas: 1, ports: [], labels: {}, ...spec }, generation: 1, createdAt: 1, updatedAt: 1 }) as ServiceRecord
const replica = (fields: Partial<ReplicaRecord> = {}): ReplicaRecord =>
  ({ service: 'web', slot: 0, generation: 1, node: 'a', container: 'c', endpoint: '127.0.0.1:1', ports: [{ target: 80, endpoint: '127.0.0.1:1' }], state: 'healthy', updatedAt: 1, ...fields })

describe('screen', () => {
  it('believes records sealed by the members allowed to write them', async () => {
    const a = await member()
    a.document.putNode(a.id, node('a'))
    a.document.putService('web', service('web'))
    a.document.putReplica(a.id, 'web#0', replica())
    const { snapshot, problems } = screen(a.document.snapshot(), a.document.tokens(), new SealChecker())
    expect(problems).toEqual([])
    expect(Object.keys(snapshot.services)).toEqual(['web'])
    expect(snapshot.replicas).toHaveLength(1)
    expect(snapshot.services.web?.by).toBe(a.id)
  })

  it('ignores a replica record filed under another node, a service without ports and one with 1e9 replicas', async () => {
    const [a, rogue] = [await member(), await member()]
    a.document.putNode(a.id, node('a'))
    relay(a.document, rogue.document)
    rogue.document.putNode(rogue.id, node('rogue'))
    // Forged: a healthy replica "of a" pointing at the rogue's listener.
    rogue.document.putReplica(a.id, 'web#1', replica({ slot: 1, endpoint: '127.0.0.66:1', ports: [{ target: 80, endpoint: '127.0.0.66:1' }] }))
    rogue.document.putService('broken', { ...service('broken'), spec: { name: 'broken', image: 'x' } } as unknown as ServiceRecord)
    rogue.document.putService('huge', service('huge', { replicas: 1e9 }))
    relay(rogue.document, a.document)
    const { snapshot, problems } = screen(a.document.snapshot(), a.document.tokens(), new SealChecker())
    expect(snapshot.replicas).toEqual([])
    expect(Object.keys(snapshot.services)).toEqual([])
    expect(problems.map((p) => [p.kind, p.key, p.reason.split(':')[0]])).toEqual(expect.arrayContaining([
      ['replicas', 'web#1', 'not sealed by the node it is filed under'],
      ['services', 'broken', expect.stringContaining('spec')],
      ['services', 'huge', expect.stringContaining('spec')]
    ]))
  })

  it('ignores a record whose content was changed after it was sealed', async () => {
    const a = await member()
    a.document.putNode(a.id, node('a'))
    a.document.putService('web', service('web'))
    const raw = a.document.snapshot()
    raw.services.web = { ...raw.services.web!, spec: { ...raw.services.web!.spec, image: 'evil:latest' } }
    expect(screen(raw, {}, new SealChecker()).problems).toEqual([{ kind: 'services', key: 'web', reason: 'not sealed by a member' }])
  })

  it('leaves a removed member out with its records, and its later writes, but keeps what it wrote before', async () => {
    const [a, b] = [await member(), await member()]
    a.document.putNode(a.id, node('a'))
    b.document.putNode(b.id, node('b'))
    b.document.putService('old', { ...service('old'), updatedAt: 10 })
    b.document.putService('late', { ...service('late'), updatedAt: 30 })
    b.document.putReplica(b.id, 'old#0', replica({ service: 'old' }))
    relay(b.document, a.document)
    a.document.putRemoval(b.id, { reason: 'removed', name: 'b', at: 20 })
    const { snapshot, problems } = screen(a.document.snapshot(), {}, new SealChecker())
    expect(Object.keys(snapshot.nodes)).toEqual([a.id])
    expect(snapshot.replicas).toEqual([])
    expect(Object.keys(snapshot.services)).toEqual(['old'])
    expect(problems).toEqual([{ kind: 'services', key: 'late', reason: 'written by removed member b' }])
  })
})
