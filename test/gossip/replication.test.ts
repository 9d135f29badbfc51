// Replication end to end: real libp2p over TCP on loopback, one address per node.

import { afterEach, describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../src/crdt/index.ts'
import { TestCluster, converged, serviceRecord, sleep, waitFor } from './helpers.ts'

const BASE_PORT = 46_110

describe('gossip replication', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.stopAll() })

  async function threeNodes (): Promise<ReturnType<typeof cluster.add> extends Promise<infer T> ? T[] : never> {
    const first = await cluster.add({ name: 'n1', host: '127.0.0.61', port: BASE_PORT })
    const join = [`127.0.0.61:${BASE_PORT}`]
    const second = await cluster.add({ name: 'n2', host: '127.0.0.62', port: BASE_PORT, join })
    const third = await cluster.add({ name: 'n3', host: '127.0.0.63', port: BASE_PORT, join })
    return [first, second, third]
  }

  it('converges three nodes joined to the first: a write on node 3 reaches 1 and 2', async () => {
    const nodes = await threeNodes()
    const [n1, n2, n3] = nodes as [typeof nodes[0], typeof nodes[0], typeof nodes[0]]
    // Members learn each other from the document, so 2 and 3 connect without --join to each other.
    const meshMs = await waitFor('a full mesh', () => nodes.every(node => node.gossip.connections() === 2))
    await waitFor('every node record everywhere', () => nodes.every(node => Object.keys(node.document.nodes()).length === 3))

    const start = performance.now()
    n3.document.putService('web', serviceRecord('web'))
    await waitFor('web on nodes 1 and 2', () => n1.document.service('web') !== undefined && n2.document.service('web') !== undefined)
    const propagationMs = Math.round(performance.now() - start)
    await waitFor('identical document bytes', () => converged(nodes))
    console.log(`mesh formed in ${meshMs} ms; a write on node 3 reached nodes 1 and 2 in ${propagationMs} ms`)

    expect(n1.document.service('web')).toEqual(serviceRecord('web'))
    // Delivered by gossipsub itself on a 3-node mesh, not only by the sync backstop.
    expect(n3.gossip.stats().replication.published).toBeGreaterThan(0)
    await waitFor('gossip delivery on nodes 1 and 2', () => n1.gossip.stats().replication.received > 0 && n2.gossip.stats().replication.received > 0)
  })

  it('delivers writes made right after joining, before gossipsub knows the peer subscribed', async () => {
    const n1 = await cluster.add({ name: 'n1', host: '127.0.0.61', port: BASE_PORT })
    const n2 = await cluster.add({ name: 'n2', host: '127.0.0.62', port: BASE_PORT, join: [`127.0.0.61:${BASE_PORT}`] })
    await waitFor('connected', () => n2.gossip.connections() === 1)
    n2.document.putService('early', serviceRecord('early'))
    await waitFor('early on node 1', () => n1.document.service('early') !== undefined)
    await waitFor('identical document bytes', () => converged([n1, n2]))

    // Once subscribed, a 2-node mesh delivers by gossip too.
    await waitFor('gossip delivery on a 2-node mesh', () => {
      n2.document.putService('later', serviceRecord('later', { AT: String(performance.now()) }))
      return n1.gossip.stats().replication.received > 0
    })
  })

  it('keeps dialling a join address until the node there starts', async () => {
    const n2 = await cluster.add({ name: 'n2', host: '127.0.0.62', port: BASE_PORT, join: [`127.0.0.61:${BASE_PORT}`] })
    n2.document.putService('waiting', serviceRecord('waiting'))
    await sleep(600) // a few failed attempts
    expect(n2.gossip.connections()).toBe(0)
    await expect(n2.gossip.syncWith()).rejects.toThrow(/no connected peer/)
    const n1 = await cluster.add({ name: 'n1', host: '127.0.0.61', port: BASE_PORT })
    const ms = await waitFor('connected and converged', () => n1.gossip.connections() === 1 && converged([n1, n2]))
    console.log(`joined ${ms} ms after the first node started`)
    await n2.gossip.syncWith(n1.gossip.id)
    // start() and stop() are idempotent.
    await n2.gossip.start()
    await n2.gossip.stop()
    await n2.gossip.stop()
    expect(n2.gossip.connections()).toBe(0)
  })

  it('catches up a restarted node on every write it missed', async () => {
    const nodes = await threeNodes()
    const [n1, n2, n3] = nodes as [typeof nodes[0], typeof nodes[0], typeof nodes[0]]
    await waitFor('a full mesh', () => nodes.every(node => node.gossip.connections() === 2))
    n1.document.putService('before', serviceRecord('before'))
    await waitFor('before everywhere', () => converged(nodes))

    await cluster.stop(n2)
    const saved = n2.document.encodeState()
    n1.document.putService('missed-1', serviceRecord('missed-1'))
    n3.document.putService('missed-3', serviceRecord('missed-3'))
    n3.document.deleteService('before')
    await waitFor('nodes 1 and 3 agree', () => converged([n1, n3]))

    // The restarted node has no --join: it finds its peers in its own document.
    const document = new ClusterDocument({ log: n2.log })
    document.applyUpdate(saved, 'disk')
    const restarted = await cluster.add({ name: 'n2', host: n2.host, port: n2.port, privateKey: n2.privateKey, document })
    const ms = await waitFor('the restarted node caught up', () => converged([n1, restarted, n3]))
    console.log(`restarted node caught up in ${ms} ms`)
    expect(Object.keys(restarted.document.services())).toEqual(['missed-1', 'missed-3'])
  })

  it('replicates an update of 1 MB, carried by sync rather than gossip', async () => {
    const nodes = await threeNodes()
    const [n1, n2, n3] = nodes as [typeof nodes[0], typeof nodes[0], typeof nodes[0]]
    await waitFor('a full mesh', () => nodes.every(node => node.gossip.connections() === 2))
    await waitFor('identical document bytes', () => converged(nodes))

    const start = performance.now()
    n1.document.transact(() => {
      for (let i = 0; i < 100; i++) {
        // Random values: Yjs' V2 encoding would squeeze repeated text to nothing.
        n1.document.putService(`svc-${i}`, serviceRecord(`svc-${i}`, { BLOB: Buffer.from(crypto.getRandomValues(new Uint8Array(8 * 1024))).toString('base64') }))
      }
    })
    expect(n1.document.encodeState().byteLength).toBeGreaterThan(1024 * 1024)
    await waitFor('1 MB on every node', () => converged(nodes), 20_000)
    console.log(`1 MB update replicated in ${Math.round(performance.now() - start)} ms`)
    expect(Object.keys(n3.document.services())).toHaveLength(100)
    expect(n2.document.service('svc-99')).toEqual(n1.document.service('svc-99'))
    expect(n1.gossip.stats().replication.oversized).toBe(1)
  })
})
