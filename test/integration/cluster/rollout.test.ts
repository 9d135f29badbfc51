// Failover, rolling updates and rollbacks on three real nodes (issue 6, acceptance 1–5),
// with a request loop through the routing mesh the whole time.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, cleanupAll, IMAGE, killDaemon, removeContainersOf, waitFor } from '../../support/daemon.ts'
import { startCluster, waitForMembers } from '../../support/cluster.ts'
import type { ClusterNode } from '../../support/cluster.ts'
import { get, requestLoop } from '../../support/mesh.ts'
import { coordinatorOf } from '../../../src/node/cluster/index.ts'
import { view as clusterOf } from '../../node/cluster/helpers.ts'

const HOSTS = ['127.0.0.131', '127.0.0.132', '127.0.0.133']
const NAMES = ['test-ro-1', 'test-ro-2', 'test-ro-3']
const PORT = 18100

interface Replica { slot: number, node: string, nodeId: string, state: string, generation: number, container: string }
interface View {
  spec: { env: Record<string, string> }
  generation: number
  replicas: Replica[]
  status: { desired: number, healthy: number, updated: number }
  rollout?: { phase: string, generation: number, updated: number, total: number, failures: number, rollback: boolean, reason?: string }
}

/** busybox httpd answering /id with $V, so a response tells which spec served it. */
function web (v: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'web',
    image: IMAGE,
    command: ['sh', '-c', 'echo -n $V > /www/id; exec httpd -f -p 8080 -h /www'],
    env: { V: v },
    replicas: 3,
    ports: [{ published: PORT, target: 8080 }],
    health: { type: 'tcp', interval: '200ms', retries: 2 },
    update: { parallelism: 1, order: 'start-first', monitor: '500ms' },
    ...extra
  }
}

describe('failover, rolling updates and rollbacks on three real nodes', () => {
  let nodes: ClusterNode[]
  const live = (): ClusterNode[] => nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null)
  const view = async (): Promise<View> => (await api<View>(live()[0]!.api, 'GET', '/v1/services/web')).body
  /** Every desired replica healthy on `generation`, and the rollout (if any) finished. */
  const settledOn = async (generation: number, timeoutMs = 60_000): Promise<View> => await waitFor(async () => {
    const v = await view()
    const done = v.rollout === undefined || v.rollout.phase === 'completed' || v.rollout.phase === 'rolled-back'
    const all = v.replicas.length === 3 && v.replicas.every((r) => r.state === 'healthy' && r.generation === generation)
    return v.generation === generation && done && all ? v : undefined
  }, { timeoutMs, what: `web to run 3 healthy replicas of generation ${generation}` })

  beforeAll(async () => {
    nodes = await startCluster('test-ro', HOSTS)
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, Object.fromEntries(NAMES.map((name) => [name, 'alive']))) }))
    expect((await api(nodes[0]!.api, 'PUT', '/v1/services/web', web('one'))).status).toBe(201)
    await settledOn(1)
    await waitFor(async () => (await get(HOSTS[0]!, PORT, '/id')).ok, { what: 'the mesh to serve web' })
  })
  afterAll(cleanupAll)

  it('replaces the replica of a crashed node on the survivors, and routes to it', async () => {
    const loop = requestLoop(HOSTS[0]!, PORT)
    await new Promise((resolve) => setTimeout(resolve, 300))
    const killedAt = Date.now()
    await killDaemon(nodes[2]!)
    removeContainersOf(NAMES[2]!)
    const replaced = await waitFor(async () => {
      const v = await view()
      const survivors = v.replicas.filter((r) => r.node !== NAMES[2] && r.state === 'healthy')
      return survivors.length === 3 ? survivors : undefined
    }, { timeoutMs: 30_000, intervalMs: 50, what: '3 healthy replicas on the survivors' })
    const healthyAt = Date.now()
    const fresh = replaced.find((r) => !r.container.startsWith('pending'))!
    expect(replaced.every((r) => r.node !== NAMES[2])).toBe(true)
    const result = await loop.stop()
    console.log(`crash → 3 healthy on the survivors: ${healthyAt - killedAt} ms; ${result.failures.length} of ${result.total} requests failed (${fresh.node})`)

    nodes[2] = await nodes[2]!.restart()
    await waitForMembers(nodes[0]!, Object.fromEntries(NAMES.map((name) => [name, 'alive'])))
    await settledOn(1)
  })

  it('rolls out an update slot by slot under a request loop without failing a request', async () => {
    // Eight clients at once keep requests flowing through every step of the rollout.
    const loop = requestLoop(HOSTS[0]!, PORT, '/id', 8)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect((await api(nodes[1]!.api, 'PUT', '/v1/services/web', web('two'))).status).toBe(200)
    const after = await settledOn(2)
    await new Promise((resolve) => setTimeout(resolve, 300))
    const result = await loop.stop()
    console.log(`rolling update: ${result.failures.length} of ${result.total} requests failed (${result.perSecond}/s), served ${JSON.stringify(Object.fromEntries(result.bodies))}`)
    expect(result.failures).toEqual([])
    // The loop covered the rollout: both generations answered, hundreds of requests in all
    // (a rate would depend on how busy the machine is; coverage does not).
    expect(result.total).toBeGreaterThanOrEqual(200)
    expect([...result.bodies.keys()].sort()).toEqual(['one', 'two'])
    expect(after.rollout).toMatchObject({ phase: 'completed', generation: 2, updated: 3, total: 3, failures: 0 })
    expect(after.spec.env).toEqual({ V: 'two' })
    expect((await get(HOSTS[2]!, PORT, '/id')).body).toBe('two')
  }, 120_000)

  it('rolls back on request to the previous spec and generation', async () => {
    const loop = requestLoop(HOSTS[1]!, PORT)
    const rolled = await api<View>(nodes[2]!.api, 'POST', '/v1/services/web/rollback', {})
    expect(rolled.status).toBe(200)
    expect(rolled.body.generation).toBe(1)
    const after = await settledOn(1)
    const result = await loop.stop()
    console.log(`manual rollback: ${result.failures.length} of ${result.total} requests failed`)
    expect(result.failures).toEqual([])
    expect(after.spec.env).toEqual({ V: 'one' })
    expect(after.rollout).toMatchObject({ phase: 'rolled-back', rollback: true })
    expect((await api(nodes[0]!.api, 'POST', '/v1/services/nope/rollback', {})).status).toBe(404)
  }, 120_000)

  it('rolls an update whose health check never passes back by itself, failing no request', async () => {
    const loop = requestLoop(HOSTS[2]!, PORT)
    const broken = web('broken', { health: { type: 'cmd', cmd: ['false'], interval: '200ms', retries: 2 } })
    const put = await api<View>(nodes[0]!.api, 'PUT', '/v1/services/web', broken)
    expect(put.body.generation).toBe(3)
    const after = await waitFor(async () => {
      const v = await view()
      return v.rollout?.phase === 'rolled-back' ? v : undefined
    }, { timeoutMs: 60_000, what: 'the broken update to roll back' })
    await settledOn(1)
    const result = await loop.stop()
    console.log(`failed update → rollback: ${result.failures.length} of ${result.total} requests failed; ${after.rollout?.reason}`)
    expect(result.failures).toEqual([])
    expect(result.bodies.has('broken')).toBe(false)
    expect(after.generation).toBe(1)
    expect(after.spec.env).toEqual({ V: 'one' })
  }, 120_000)

  it('tries a replica that keeps failing on one node on another', async () => {
    const picky = (failOn: string) => ({
      name: 'picky',
      image: IMAGE,
      // MESHD_NODE is set in every replica: this one fails on one node only.
      command: ['sh', '-c', `[ "$MESHD_NODE" != "${failOn}" ] || exit 1; exec httpd -f -p 8080 -h /www`],
      replicas: 1,
      update: { failureAction: 'continue' }
    })
    const running = async (): Promise<Replica | undefined> => {
      const v = (await api<View>(nodes[0]!.api, 'GET', '/v1/services/picky')).body
      return v.replicas.length === 1 && v.replicas[0]!.state === 'healthy' ? v.replicas[0] : undefined
    }
    expect((await api(nodes[0]!.api, 'PUT', '/v1/services/picky', picky('nowhere'))).status).toBe(201)
    const first = await waitFor(running, { timeoutMs: 30_000, what: 'picky to run' })
    // Now make it fail where it runs.
    expect((await api(nodes[0]!.api, 'PUT', '/v1/services/picky', picky(first.node))).status).toBe(200)
    const moved = await waitFor(async () => {
      // Without a health check a container counts as healthy while it runs: it may look
      // healthy for an instant on the node where it exits at once. Wait for it elsewhere.
      const r = await running()
      return r !== undefined && r.generation === 2 && r.node !== first.node ? r : undefined
    }, { timeoutMs: 60_000, what: 'picky to move off the node it fails on' })
    const members = (await api<Array<{ name: string, avoiding?: string[] }>>(nodes[0]!.api, 'GET', '/v1/nodes')).body
    const avoided = members.filter((m) => m.avoiding?.includes('picky')).map((m) => m.name)
    console.log(`picky failed on ${first.node}, runs on ${moved.node}; nodes passing it over: ${JSON.stringify(avoided)}`)
    expect(moved.node).not.toBe(first.node)
    expect(avoided).toEqual([first.node])
    expect((await api(nodes[0]!.api, 'DELETE', '/v1/services/picky')).status).toBe(200)
  }, 120_000)

  it('finishes a rollout on another node when its coordinator is killed in the middle', async () => {
    const members = (await api<Array<{ id: string, name: string }>>(nodes[0]!.api, 'GET', '/v1/nodes')).body
    const coordinator = coordinatorOf(clusterOf({ nodes: members.map((m) => m.id) }), 'web')
    const index = NAMES.indexOf(members.find((m) => m.id === coordinator)!.name)
    // A slow rollout: each slot must stay healthy 2 s before the next one moves.
    expect((await api(nodes[(index + 1) % 3]!.api, 'PUT', '/v1/services/web', web('four', { update: { parallelism: 1, monitor: '2s' } }))).status).toBe(200)
    const atKill = await waitFor(async () => {
      const r = (await view()).rollout
      return r !== undefined && r.generation === 4 && r.updated >= 1 ? r.updated : undefined
    }, { what: 'the first slot to be updated' })
    await killDaemon(nodes[index]!)
    removeContainersOf(NAMES[index]!)
    const after = await waitFor(async () => {
      const v = await view()
      const healthy = v.replicas.filter((r) => r.state === 'healthy' && r.generation === 4 && r.node !== NAMES[index])
      return v.rollout?.phase === 'completed' && healthy.length === 3 ? v : undefined
    }, { timeoutMs: 90_000, what: 'the survivors to finish the rollout' })
    console.log(`coordinator ${NAMES[index]} killed at ${atKill}/3 slots updated; the survivors finished the rollout`)
    expect(atKill).toBeLessThan(3)
    expect(after.generation).toBe(4)
    expect((await get(HOSTS[(index + 1) % 3]!, PORT, '/id')).body).toBe('four')
  }, 120_000)
})
