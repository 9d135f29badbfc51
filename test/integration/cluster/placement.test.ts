// Placement on real nodes (issue 4, acceptance 2–5): spread, rebalancing on join with
// make-before-break, global services, label constraints and their explanations, drain.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, cleanupAll, containersOf, IMAGE, startDaemon, tempDataDir, waitFor } from '../../support/daemon.ts'
import { secretOf, startCluster, waitForMembers } from '../../support/cluster.ts'
import type { ClusterNode } from '../../support/cluster.ts'

const HOSTS = ['127.0.0.81', '127.0.0.82', '127.0.0.83', '127.0.0.84']
const NAMES = ['test-pl-1', 'test-pl-2', 'test-pl-3', 'test-pl-4']
const ZONES = ['a', 'a', 'b', 'b']

interface Replica { slot: number, node: string, state: string, generation: number }
interface View { replicas: Replica[], status: { desired: number, healthy: number, updated: number }, unplaced: Array<{ slot: number, reason: string }> }

const httpd = (name: string, extra: Record<string, unknown>): Record<string, unknown> => ({
  name, image: IMAGE, command: ['httpd', '-f', '-p', '8080', '-h', '/www'], ports: [], ...extra
})

/** Samples the healthy count every 200 ms until stopped; returns the minimum seen. */
function healthyFloor (node: ClusterNode, service: string): { stop: () => Promise<number> } {
  let min = Number.POSITIVE_INFINITY
  let running = true
  const loop = (async () => {
    while (running) {
      const { status, body } = await api<View>(node.api, 'GET', `/v1/services/${service}`)
      if (status === 200) min = Math.min(min, body.status.healthy)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  })()
  return { stop: async () => { running = false; await loop; return min } }
}

describe('placement on four real nodes', () => {
  let nodes: ClusterNode[]
  const view = async (service: string): Promise<View> => (await api<View>(nodes[0]!.api, 'GET', `/v1/services/${service}`)).body
  const perNode = (replicas: Replica[]): Record<string, number> => {
    const counts: Record<string, number> = {}
    for (const r of replicas) counts[r.node] = (counts[r.node] ?? 0) + 1
    return counts
  }
  const settled = async (service: string, count: number): Promise<View> => await waitFor(async () => {
    const v = await view(service)
    return v.status.updated === count && v.replicas.length === count && v.replicas.every((r) => r.state === 'healthy') ? v : undefined
  }, { timeoutMs: 45_000, what: `${service} to settle on ${count} healthy replicas` })

  beforeAll(async () => {
    nodes = await startCluster('test-pl', HOSTS.slice(0, 3), (i) => ['--label', `zone=${ZONES[i]}`])
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, Object.fromEntries(NAMES.slice(0, 3).map((name) => [name, 'alive']))) }))
  })
  afterAll(cleanupAll)

  it('spreads 6 replicas over 3 nodes, then gives a joining node its share without dropping below 6 healthy', async () => {
    expect((await api(nodes[0]!.api, 'PUT', '/v1/services/web', httpd('web', { replicas: 6, ports: [{ published: 18300, target: 8080 }], health: { type: 'tcp', interval: '200ms' } }))).status).toBe(201)
    expect((await api(nodes[0]!.api, 'PUT', '/v1/services/agent', httpd('agent', { mode: 'global' }))).status).toBe(201)
    const before = await settled('web', 6)
    console.log(`6 replicas on 3 nodes: ${JSON.stringify(perNode(before.replicas))}`)
    expect(Object.values(perNode(before.replicas))).toEqual([2, 2, 2])
    expect(Object.keys(perNode((await settled('agent', 3)).replicas)).sort()).toEqual(NAMES.slice(0, 3))

    const floor = healthyFloor(nodes[1]!, 'web')
    const fourth = await startDaemon({
      name: NAMES[3]!, host: HOSTS[3]!, dataDir: tempDataDir(),
      args: ['--no-mdns', '--join', `${HOSTS[0]}:7701`, '--label', `zone=${ZONES[3]}`],
      env: { MESHD_SECRET: secretOf(nodes[0]!.dataDir) }
    })
    nodes.push({ ...fourth, restart: async () => { throw new Error('not restartable') } })
    const after = await waitFor(async () => {
      const v = await settled('web', 6)
      const counts = Object.values(perNode(v.replicas))
      return counts.length === 4 && Math.max(...counts) <= 2 ? v : undefined
    }, { timeoutMs: 45_000, what: 'the fourth node to take its share of web' })
    const min = await floor.stop()

    const ownerBefore = new Map(before.replicas.map((r) => [r.slot, r.node]))
    const moved = after.replicas.filter((r) => ownerBefore.get(r.slot) !== r.node).length
    console.log(`join: ${moved} of 6 replicas moved, per node ${JSON.stringify(perNode(after.replicas))}, fewest healthy seen ${min}`)
    expect(moved).toBeGreaterThan(0)
    expect(moved).toBeLessThanOrEqual(2)
    expect(min).toBeGreaterThanOrEqual(6)

    const agent = await settled('agent', 4)
    expect(Object.keys(perNode(agent.replicas)).sort()).toEqual(NAMES)
  })

  it('puts constrained replicas only on matching nodes and explains an unsatisfiable constraint', async () => {
    expect((await api(nodes[0]!.api, 'PUT', '/v1/services/zoned', httpd('zoned', { replicas: 2, constraints: ['node.labels.zone==b'] }))).status).toBe(201)
    const zoned = await settled('zoned', 2)
    expect(zoned.replicas.map((r) => r.node).sort()).toEqual([NAMES[2], NAMES[3]])

    expect((await api(nodes[0]!.api, 'PUT', '/v1/services/nowhere', httpd('nowhere', { replicas: 2, constraints: ['node.labels.zone==c'] }))).status).toBe(201)
    const nowhere = await waitFor(async () => { const v = await view('nowhere'); return v.unplaced.length === 2 ? v : undefined }, { what: 'nowhere to be explained' })
    expect(nowhere.unplaced[0]!.reason).toMatch(/0 of 4 nodes eligible: 4 failed node\.labels\.zone==c/)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    for (const name of NAMES) expect(containersOf(name, 'nowhere')).toEqual([])
    expect((await view('nowhere')).replicas).toEqual([])
  })

  it('drains a node to nothing without dropping below the desired count, and undrains it', async () => {
    const floor = healthyFloor(nodes[0]!, 'web')
    const drained = await api(nodes[2]!.api, 'POST', `/v1/nodes/${NAMES[1]}/drain`, {})
    expect(drained.status).toBe(200)
    await waitFor(() => containersOf(NAMES[1]!).length === 0, { timeoutMs: 45_000, what: `${NAMES[1]} to run nothing` })
    const after = await settled('web', 6)
    expect(perNode(after.replicas)[NAMES[1]!]).toBeUndefined()
    expect(await floor.stop()).toBeGreaterThanOrEqual(6)
    expect((await api(nodes[0]!.api, 'GET', '/v1/nodes')).body.find((m: { name: string }) => m.name === NAMES[1]).draining).toBe(true)

    expect((await api(nodes[0]!.api, 'POST', `/v1/nodes/${NAMES[1]}/undrain`, {})).status).toBe(200)
    await waitFor(async () => (perNode((await settled('agent', 4)).replicas)[NAMES[1]!] ?? 0) === 1, { timeoutMs: 45_000, what: 'the undrained node to run its global replica again' })
  })
})
