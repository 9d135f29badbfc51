// A real partition {1} | {2,3} made with iptables while both sides take writes
// (issue 3, acceptance 3): after healing, every document is byte-identical and no
// write is lost.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, cleanupAll, waitFor } from '../../support/daemon.ts'
import { heal, partition } from '../../support/network.ts'
import { membersSeenBy, paperService, startCluster, waitForIdenticalDocuments, waitForMembers } from '../../support/cluster.ts'
import type { ClusterNode } from '../../support/cluster.ts'

const HOSTS = ['127.0.0.36', '127.0.0.37', '127.0.0.38']
const ALL_ALIVE = { 'test-p-1': 'alive', 'test-p-2': 'alive', 'test-p-3': 'alive' }

describe('a partitioned cluster', () => {
  let nodes: ClusterNode[]

  beforeAll(async () => {
    nodes = await startCluster('test-p', HOSTS)
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, ALL_ALIVE) }))
  })
  afterAll(async () => {
    heal()
    await cleanupAll()
  })

  it('keeps writing on both sides and converges after healing, losing nothing', async () => {
    const [one, two, three] = nodes as [ClusterNode, ClusterNode, ClusterNode]
    partition([HOSTS[0]!], [HOSTS[1]!, HOSTS[2]!])
    const written: string[] = []
    const until = Date.now() + 10_000
    for (let i = 0; Date.now() < until; i++) {
      const [writer, name] = i % 2 === 0 ? [one, `left-${i}`] : [i % 4 === 1 ? two : three, `right-${i}`]
      expect((await api(writer.api, 'PUT', `/v1/services/${name}`, paperService(name))).status).toBe(201)
      written.push(name)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    expect((await membersSeenBy(one))['test-p-2']).not.toBe('alive')
    expect((await membersSeenBy(two))['test-p-1']).not.toBe('alive')

    heal()
    const healed = Date.now()
    await waitForIdenticalDocuments(nodes, 30_000)
    console.log(`healed → identical documents on all three nodes: ${Date.now() - healed} ms (${written.length} writes during the partition)`)
    for (const node of nodes) {
      const names = new Set((await api<Array<{ spec: { name: string } }>>(node.api, 'GET', '/v1/services')).body.map((s) => s.spec.name))
      expect(written.filter((name) => !names.has(name))).toEqual([])
    }
    await waitFor(async () => JSON.stringify(await membersSeenBy(one)) === JSON.stringify(ALL_ALIVE), { what: 'all members alive again' })
  })
})
