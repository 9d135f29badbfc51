// GET /metrics' text: read at scrape time from plain sources, parsed back; names,
// types, values that match the view, cumulative histograms, counters that only grow,
// and `promtool check metrics` clean when promtool is installed.

import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import type { GossipStats } from '../../../src/gossip/index.ts'
import type { ServiceStats } from '../../../src/proxy/index.ts'
import { constants as proxyConstants } from '../../../src/proxy/index.ts'
import { Buckets, constants, NodeMetrics, serviceSamples } from '../../../src/node/metrics/index.ts'
import { replica, service, view } from '../cluster/helpers.ts'
import { cgroupRoot } from './cgroup.ts'
import { parseMetrics, valueOf } from './parse.ts'

const ID = 'a'.repeat(64)
const root = cgroupRoot(ID, { cpuNs: 2_500_000_000, memory: 10_485_760, stat: 'cache 1\ntotal_inactive_file 2097152\n' })

const clusterView = view({
  nodes: ['a', 'b', 'c'],
  states: { c: 'dead' },
  services: [service('web', { replicas: 3 }), service('agent', { mode: 'global' })],
  replicas: [
    ['a', replica('web', 0, { container: ID, state: 'healthy' })],
    ['b', replica('web', 1, { state: 'unhealthy' })],
    ['c', replica('web', 2, { state: 'healthy' })]
  ],
  rollouts: { web: { generation: 2, from: 1, updated: [], failures: 0, phase: 'rolling', startedAt: 0, updatedAt: 0 } as never }
})

const mesh: ServiceStats = {
  service: 'web', published: [8080], connections: { total: 1000, active: 2 }, clients: { total: 1000, active: 2 }, bytesIn: 80_000, bytesOut: 120_000,
  errors: 3, retries: 2, refused: 0, denied: { external: 4 }, observed: {}, listeners: [], endpoints: [],
  connect: { boundsMs: proxyConstants.CONNECT_BUCKETS_MS, counts: [900, 90, ...new Array<number>(proxyConstants.CONNECT_BUCKETS_MS.length - 2).fill(0), 10], sumMs: 800 }
}
const gossip = {
  beats: { sent: 10, received: 12, skipped: 0 }, pulses: { sent: 7, received: 8 }, sync: { rounds: 1, bytesIn: 300, bytesOut: 200 },
  replication: { published: 5, oversized: 0, received: 6, waiting: 0 }
} as unknown as GossipStats
const reconcile = new Buckets(constants.RECONCILE_BUCKETS_S)
reconcile.observe(0.002)
reconcile.observe(20)
const failures = new Map([['web', 2]])
const metrics = new NodeMetrics({
  view: () => clusterView, mesh: () => ({ services: [mesh] }), gossip: () => gossip, documentBytes: () => 4096,
  ingress: () => ({ routes: [{ host: 'a.test', path: '/api', service: 'web', requests: { '2xx': 40, '5xx': 2 }, bytesIn: 10, bytesOut: 900, retries: 3 }], unrouted: 5 }),
  failures: () => failures, reconcile, cgroupRoot: root
})

describe('GET /metrics text', () => {
  afterAll(() => { rmSync(root, { recursive: true, force: true }) })

  it('names every family meshd_*, counters *_total, and nothing else *_total', async () => {
    const families = parseMetrics(await metrics.render())
    expect(families.size).toBeGreaterThan(20)
    for (const family of families.values()) {
      expect(family.name).toMatch(/^meshd_[a-z_]+$/)
      expect(family.help).not.toBe('')
      expect(['counter', 'gauge', 'histogram']).toContain(family.type)
      expect(family.name.endsWith('_total')).toBe(family.type === 'counter')
    }
  })

  it('counts replicas as the view has them: dead members\' replicas do not run', async () => {
    const families = parseMetrics(await metrics.render())
    expect(valueOf(families, 'meshd_service_replicas_desired', { service: 'web' })).toBe(3)
    expect(valueOf(families, 'meshd_service_replicas_running', { service: 'web' })).toBe(2)
    expect(valueOf(families, 'meshd_service_replicas_healthy', { service: 'web' })).toBe(1)
    expect(valueOf(families, 'meshd_service_restarts_total', { service: 'web' })).toBe(2)
    expect(valueOf(families, 'meshd_service_rollout_phase', { service: 'web', phase: 'rolling' })).toBe(1)
    expect(valueOf(families, 'meshd_service_rollout_phase', { service: 'web', phase: 'completed' })).toBe(0)
    expect(valueOf(families, 'meshd_members', { state: 'alive' })).toBe(2)
    expect(valueOf(families, 'meshd_members', { state: 'dead' })).toBe(1)
    // A global service: its placed slots, one per member not dead.
    expect(serviceSamples(clusterView, failures).find((s) => s.service === 'agent')?.desired).toBe(2)
  })

  it('reports the mesh, gossip and document counters as the parts count them', async () => {
    const families = parseMetrics(await metrics.render())
    expect(valueOf(families, 'meshd_mesh_connections_total', { service: 'web' })).toBe(1000)
    expect(valueOf(families, 'meshd_mesh_active_connections', { service: 'web' })).toBe(2)
    expect(valueOf(families, 'meshd_mesh_received_bytes_total', { service: 'web' })).toBe(80_000)
    expect(valueOf(families, 'meshd_mesh_sent_bytes_total', { service: 'web' })).toBe(120_000)
    expect(valueOf(families, 'meshd_mesh_errors_total', { service: 'web' })).toBe(3)
    expect(valueOf(families, 'meshd_mesh_retries_total', { service: 'web' })).toBe(2)
    expect(valueOf(families, 'meshd_mesh_denied_total', { service: 'web', source: 'external' })).toBe(4)
    expect(valueOf(families, 'meshd_gossip_beats_sent_total')).toBe(10)
    expect(valueOf(families, 'meshd_gossip_beats_received_total')).toBe(12)
    expect(valueOf(families, 'meshd_gossip_pulses_sent_total')).toBe(7)
    expect(valueOf(families, 'meshd_gossip_pulses_received_total')).toBe(8)
    expect(valueOf(families, 'meshd_gossip_sync_received_bytes_total')).toBe(300)
    expect(valueOf(families, 'meshd_document_bytes')).toBe(4096)
  })

  it('reports the ingress per route: requests by status class, bytes, retries, and the unrouted', async () => {
    const families = parseMetrics(await metrics.render())
    const route = { host: 'a.test', path: '/api', service: 'web' }
    expect(valueOf(families, 'meshd_ingress_requests_total', { ...route, code: '2xx' })).toBe(40)
    expect(valueOf(families, 'meshd_ingress_requests_total', { ...route, code: '5xx' })).toBe(2)
    expect(valueOf(families, 'meshd_ingress_received_bytes_total', route)).toBe(10)
    expect(valueOf(families, 'meshd_ingress_sent_bytes_total', route)).toBe(900)
    expect(valueOf(families, 'meshd_ingress_retries_total', route)).toBe(3)
    expect(valueOf(families, 'meshd_ingress_unrouted_total')).toBe(5)
  })

  it('renders histograms with cumulative buckets, +Inf equal to the count, sums in seconds', async () => {
    const families = parseMetrics(await metrics.render())
    const connect = 'meshd_mesh_connect_duration_seconds'
    expect(families.get(connect)?.type).toBe('histogram')
    expect(valueOf(families, connect, { service: 'web', le: '0.00025' }, `${connect}_bucket`)).toBe(900)
    expect(valueOf(families, connect, { service: 'web', le: '0.0005' }, `${connect}_bucket`)).toBe(990)
    expect(valueOf(families, connect, { service: 'web', le: '2.5' }, `${connect}_bucket`)).toBe(990)
    expect(valueOf(families, connect, { service: 'web', le: '+Inf' }, `${connect}_bucket`)).toBe(1000)
    expect(valueOf(families, connect, { service: 'web' }, `${connect}_count`)).toBe(1000)
    expect(valueOf(families, connect, { service: 'web' }, `${connect}_sum`)).toBeCloseTo(0.8)
    const tick = 'meshd_reconcile_duration_seconds'
    expect(valueOf(families, tick, { le: '0.005' }, `${tick}_bucket`)).toBe(1)
    expect(valueOf(families, tick, { le: '10' }, `${tick}_bucket`)).toBe(1)
    expect(valueOf(families, tick, { le: '+Inf' }, `${tick}_bucket`)).toBe(2)
  })

  it('reads this node\'s replicas\' CPU and memory from their cgroups, less the inactive cache', async () => {
    const families = parseMetrics(await metrics.render())
    const labels = { service: 'web', slot: '0', container: ID.slice(0, 12) }
    expect(valueOf(families, 'meshd_replica_cpu_seconds_total', labels)).toBe(2.5)
    expect(valueOf(families, 'meshd_replica_memory_bytes', labels)).toBe(8 * 1024 * 1024)
    // Only this node's replicas: b's and c's are scraped on b and c.
    expect(families.get('meshd_replica_memory_bytes')?.samples).toHaveLength(1)
  })

  it('keeps counters growing with their sources, and serves concurrent scrapes whole', async () => {
    const before = parseMetrics(await metrics.render())
    mesh.connections.total += 5
    failures.set('web', 3)
    const [a, b] = await Promise.all([metrics.render(), metrics.render()])
    expect(a).toBe(b)
    const after = parseMetrics(a)
    expect(valueOf(after, 'meshd_mesh_connections_total', { service: 'web' })).toBe(valueOf(before, 'meshd_mesh_connections_total', { service: 'web' })! + 5)
    expect(valueOf(after, 'meshd_service_restarts_total', { service: 'web' })).toBe(3)
  })

  it('uses a registry of its own, not prom-client\'s global one', async () => {
    await metrics.render()
    const { register } = await import('prom-client')
    expect(register.getSingleMetric('meshd_members')).toBeUndefined()
  })

  it.skipIf(spawnSync('promtool', ['--version']).error !== undefined)('passes promtool check metrics', async () => {
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: await metrics.render(), encoding: 'utf8' })
    expect(`${checked.stdout}${checked.stderr}`).toBe('')
    expect(checked.status).toBe(0)
  })
})
