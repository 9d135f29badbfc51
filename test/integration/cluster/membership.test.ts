// A cluster of equal nodes as separate processes on 127.0.0.3x (issue 3, acceptance
// 1, 2, 4, 5, 7): joining, replication, crash and catch-up, pauses that must not
// count as deaths, a wrong secret, and a full restart.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, cleanupAll, killDaemon, spawnDaemon, waitFor } from '../../support/daemon.ts'
import { digestOf, membersSeenBy, paperService, percentile, startCluster, waitForIdenticalDocuments, waitForMembers } from '../../support/cluster.ts'
import type { ClusterNode } from '../../support/cluster.ts'

const HOSTS = ['127.0.0.31', '127.0.0.32', '127.0.0.33']
const ALL_ALIVE = { 'test-m-1': 'alive', 'test-m-2': 'alive', 'test-m-3': 'alive' }

describe('a cluster of three equal nodes', () => {
  let nodes: ClusterNode[]
  const node = (i: number): ClusterNode => nodes[i - 1]!

  beforeAll(async () => {
    const started = Date.now()
    nodes = await startCluster('test-m', HOSTS)
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, ALL_ALIVE) }))
    console.log(`three nodes alive on every node ${Date.now() - started} ms after the first start`)
  })
  afterAll(cleanupAll)

  it('runs every node\'s pulse thread', async () => {
    for (const daemon of nodes) expect(daemon.output(), daemon.name).not.toMatch(/pulse worker failed|no pulses/)
  })

  it('lists three alive members on every node', async () => {
    for (const n of nodes) expect(await membersSeenBy(n)).toEqual(ALL_ALIVE)
  })

  it('makes a spec written on node 3 readable on nodes 1 and 2', async () => {
    const latencies: number[] = []
    for (let i = 0; i < 100; i++) {
      const name = `prop-${i}`
      const written = performance.now()
      expect((await api(node(3).api, 'PUT', `/v1/services/${name}`, paperService(name))).status).toBe(201)
      await Promise.all([node(1), node(2)].map(async (n) => {
        await waitFor(async () => (await api(n.api, 'GET', `/v1/services/${name}`)).status === 200, { intervalMs: 5, what: `${name} on ${n.name}` })
      }))
      latencies.push(performance.now() - written)
    }
    console.log(`write on node 3 → readable on nodes 1 and 2: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms (100 writes, polled every 5 ms)`)
    await waitForIdenticalDocuments(nodes)
  })

  it('marks a SIGKILLed node dead, and a restarted one alive with every write it missed', async () => {
    await killDaemon(node(3), 'SIGKILL')
    const killed = Date.now()
    await Promise.all([node(1), node(2)].map(async (n) => { await waitForMembers(n, { ...ALL_ALIVE, 'test-m-3': 'dead' }) }))
    console.log(`SIGKILL → dead on both survivors: ${Date.now() - killed} ms`)

    for (let i = 0; i < 10; i++) await api(node(1 + (i % 2)).api, 'PUT', `/v1/services/missed-${i}`, paperService(`missed-${i}`))
    nodes[2] = await node(3).restart()
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, ALL_ALIVE) }))
    await waitForIdenticalDocuments(nodes)
    const names = (await api<Array<{ spec: { name: string } }>>(node(3).api, 'GET', '/v1/services')).body.map((s) => s.spec.name)
    for (let i = 0; i < 10; i++) expect(names).toContain(`missed-${i}`)
  })

  it('never declares a node dead for 1 s pauses (SIGSTOP twenty times)', async () => {
    const paused = node(2)
    const deathsBefore = deathsLogged([node(1), node(3)], paused.name)
    for (let i = 0; i < 20; i++) {
      paused.child.kill('SIGSTOP')
      await new Promise((resolve) => setTimeout(resolve, 1000))
      paused.child.kill('SIGCONT')
      await new Promise((resolve) => setTimeout(resolve, 300))
      for (const observer of [node(1), node(3)]) expect((await membersSeenBy(observer))[paused.name]).not.toBe('dead')
    }
    expect(deathsLogged([node(1), node(3)], paused.name)).toBe(deathsBefore)
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, ALL_ALIVE) }))
  })

  it('keeps out a node with the wrong secret, which says why', async () => {
    const before = await Promise.all(nodes.map(digestOf))
    const intruder = spawnDaemon({
      name: 'test-m-intruder', host: '127.0.0.34',
      args: ['--no-mdns', '--join', `${HOSTS[0]}:7701`, '--secret', `meshd1-${Buffer.alloc(32, 7).toString('base64url')}`]
    })
    await waitFor(() => /secret/i.test(intruder.output()) && /wrong|differ|mismatch/i.test(intruder.output()), { timeoutMs: 15_000, what: 'the intruder to report a wrong secret' })
    for (const n of nodes) expect(Object.keys(await membersSeenBy(n))).not.toContain('test-m-intruder')
    expect(await Promise.all(nodes.map(digestOf))).toEqual(before)
    await killDaemon(intruder)
  })

  it('comes back whole after every node stops', async () => {
    const services = (await api<unknown[]>(node(1).api, 'GET', '/v1/services')).body.length
    await Promise.all(nodes.map(async (n) => await killDaemon(n, 'SIGTERM')))
    nodes = await Promise.all(nodes.map(async (n) => await n.restart()))
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, ALL_ALIVE) }))
    for (const n of nodes) expect((await api<unknown[]>(n.api, 'GET', '/v1/services')).body.length).toBe(services)
    await waitForIdenticalDocuments(nodes)
  })
})

/** How many times the observers logged `member` turning dead. */
function deathsLogged (observers: ClusterNode[], member: string): number {
  return observers.reduce((count, observer) => count +
    observer.output().split('\n').filter((line) => line.includes('member state changed') && line.includes(`"name":"${member}"`) && line.includes('"state":"dead"')).length, 0)
}
