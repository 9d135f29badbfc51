// Placement across a partition (issue 4, acceptance 6): during {1} | {2,3} only the
// majority side takes over the lost replicas; after healing, make-before-break leaves
// exactly the desired replicas.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, cleanupAll, containersOf, IMAGE, waitFor } from '../../support/daemon.ts'
import { heal, partition } from '../../support/network.ts'
import { startCluster, waitForMembers } from '../../support/cluster.ts'
import type { ClusterNode } from '../../support/cluster.ts'

const HOSTS = ['127.0.0.91', '127.0.0.92', '127.0.0.93']
const NAMES = ['test-sb-1', 'test-sb-2', 'test-sb-3']
const alive = Object.fromEntries(NAMES.map((n) => [n, 'alive']))

describe('placement across a partition', () => {
  let nodes: ClusterNode[]
  const count = (names: string[]): number => names.reduce((sum, name) => sum + containersOf(name, 'web').length, 0)

  beforeAll(async () => {
    nodes = await startCluster('test-sb', HOSTS)
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, alive) }))
  })
  afterAll(async () => {
    heal()
    await cleanupAll()
  })

  it('restores every replica on the majority side only, and exactly the desired count after healing', async () => {
    const spec = { name: 'web', image: IMAGE, command: ['httpd', '-f', '-p', '8080', '-h', '/www'], replicas: 3 }
    expect((await api(nodes[1]!.api, 'PUT', '/v1/services/web', spec)).status).toBe(201)
    await waitFor(() => count(NAMES) === 3 && NAMES.every((n) => containersOf(n, 'web').length === 1), { timeoutMs: 30_000, what: 'one web replica per node' })

    partition([HOSTS[0]!], [HOSTS[1]!, HOSTS[2]!])
    const cut = Date.now()
    await waitFor(() => count(NAMES.slice(1)) === 3, { timeoutMs: 30_000, what: 'the majority side to run all 3 replicas' })
    console.log(`partition → majority side runs all 3 replicas: ${Date.now() - cut} ms`)
    await new Promise((resolve) => setTimeout(resolve, 3000))
    // The minority keeps its own replica and takes over nothing.
    expect(containersOf(NAMES[0]!, 'web')).toHaveLength(1)
    expect(count(NAMES.slice(1))).toBe(3)

    heal()
    const healed = Date.now()
    await waitFor(() => count(NAMES) === 3, { timeoutMs: 10_000, intervalMs: 200, what: 'exactly 3 replicas within 10 s of healing' })
    console.log(`heal → exactly 3 replicas: ${Date.now() - healed} ms`)
    await waitFor(async () => (await api(nodes[0]!.api, 'GET', '/v1/services/web')).body.status.healthy === 3, { what: 'web healthy on 3' })
  })
})
