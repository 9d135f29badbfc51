// GET /metrics, GET /v1/stats and the member-to-member GET /v1/internal/stats, through
// fastify's inject and, for the gathering, two API servers listening on loopback.

import { rmSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import type { GossipStats } from '../../../src/gossip/index.ts'
import { buildApi } from '../../../src/node/api/index.ts'
import { generateToken, hashToken, TokenIndex } from '../../../src/node/auth/index.ts'
import type { ClusterView } from '../../../src/node/cluster/index.ts'
import { Buckets, NodeMetrics, ReplicaStatsService } from '../../../src/node/metrics/index.ts'
import { issueTicket, transferKeyOf } from '../../../src/node/transfer/index.ts'
import { silent } from '../../support/logger.ts'
import { node, replica, service, view } from '../cluster/helpers.ts'
import { cgroupRoot } from '../metrics/cgroup.ts'

const KEY = transferKeyOf(new Uint8Array(95).fill(7))
const HOSTS = { n1: '127.0.0.171', n2: '127.0.0.172' } as const
const PORT = 17791
const ID = 'b'.repeat(64)
const root = cgroupRoot(ID, { cpuNs: 1_000_000_000, memory: 3_145_728 })

let states: Record<string, 'alive' | 'dead'> = { n3: 'alive' }
const clusterOf = (self: string): ClusterView => view({
  self,
  nodes: { n1: node('n1', { host: HOSTS.n1, apiPort: PORT }), n2: node('n2', { host: HOSTS.n2, apiPort: PORT }), n3: node('n3', { host: '127.0.0.1', apiPort: 1 }) },
  states,
  services: [service('web', { replicas: 2 })],
  replicas: [['n2', replica('web', 1, { node: 'n2', container: ID, state: 'healthy' })]]
})

const viewer = generateToken()
function app (self: 'n1' | 'n2', metricsPublic = false): FastifyInstance {
  const document = new ClusterDocument({ log: silent })
  const tokens = new TokenIndex(document)
  tokens.start()
  document.putToken('dash', { hash: hashToken(viewer), role: 'viewer', createdAt: 0, createdBy: 'test' })
  const clusterView = (): ClusterView => clusterOf(self)
  const metrics = new NodeMetrics({
    view: clusterView, mesh: () => ({ services: [] }), documentBytes: () => 1, failures: () => new Map(), reconcile: new Buckets([1]),
    gossip: () => ({ beats: { sent: 0, received: 0 }, pulses: { sent: 0, received: 0 }, sync: { bytesIn: 0, bytesOut: 0 }, replication: { published: 0, received: 0 } }) as unknown as GossipStats
  })
  const stats = new ReplicaStatsService({ self: { id: self, name: self }, view: clusterView, key: KEY, tls: false, localAddress: HOSTS[self], cgroupRoot: root })
  const host = HOSTS[self]
  return buildApi({
    host, port: PORT, node: { id: self, name: self }, document, view: clusterView, log: silent, tokens,
    front: { host, port: PORT, hostNames: [], allowOrigins: [] }, metrics, metricsPublic, stats
  })
}

const n1 = app('n1')
const n2 = app('n2')
const open = app('n1', true)
const get = async (server: FastifyInstance, url: string, headers: Record<string, string> = {}) =>
  await server.inject({ method: 'GET', url, headers: { host: `${HOSTS.n1}:${PORT}`, ...headers } })
const auth = { authorization: `Bearer ${viewer}` }

describe('the metrics and stats routes', () => {
  afterAll(async () => {
    await Promise.all([n1.close(), n2.close(), open.close()])
    rmSync(root, { recursive: true, force: true })
  })

  it('answers /metrics to a viewer token only, unless --metrics-public', async () => {
    expect((await get(n1, '/metrics')).statusCode).toBe(401)
    const answer = await get(n1, '/metrics', auth)
    expect(answer.statusCode).toBe(200)
    expect(answer.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(answer.body).toContain('meshd_service_replicas_desired{service="web"} 2')
    expect((await get(open, '/metrics')).statusCode).toBe(200)
  })

  it('lets /v1/internal/stats in only with a member\'s ticket for this node, once', async () => {
    const url = '/v1/internal/stats'
    expect((await get(n1, url)).statusCode).toBe(401)
    expect((await get(n1, url, auth)).statusCode).toBe(401)
    const { header } = issueTicket(KEY, 'pull', 'stats/n1', 'n2')
    const ok = await get(n1, url, { 'x-meshd-transfer': header })
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toEqual([])
    expect((await get(n1, url, { 'x-meshd-transfer': header })).statusCode).toBe(401)
    // A ticket for another member's stats, or under another key, opens nothing here.
    expect((await get(n1, url, { 'x-meshd-transfer': issueTicket(KEY, 'pull', 'stats/n2', 'n3').header })).statusCode).toBe(401)
    const stranger = transferKeyOf(new Uint8Array(95).fill(8))
    expect((await get(n1, url, { 'x-meshd-transfer': issueTicket(stranger, 'pull', 'stats/n1', 'n2').header })).statusCode).toBe(401)
  })

  it('gathers every member\'s replicas for /v1/stats and names the members that do not answer', async () => {
    await n2.listen({ host: HOSTS.n2, port: PORT })
    const answer = await get(n1, '/v1/stats', auth)
    expect(answer.statusCode).toBe(200)
    const body = answer.json<{ replicas: Array<Record<string, unknown>>, unreachable: string[] }>()
    expect(body.replicas).toEqual([{ service: 'web', slot: 1, node: 'n2', container: ID.slice(0, 12), cpuPercent: 0, cpuSeconds: 1, memoryBytes: 3145728 }])
    expect(body.unreachable).toEqual(['n3'])
    // A dead member is reported without being asked; a service filter keeps its replicas only.
    states = { n3: 'dead' }
    expect((await get(n1, '/v1/stats?service=web', auth)).json()).toMatchObject({ unreachable: ['n3'], replicas: [{ node: 'n2' }] })
    expect((await get(n1, '/v1/stats?service=nope', auth)).statusCode).toBe(404)
  })
  it('shares one round of members\' samples between callers at the same time (the autoscaler and the alert driver)', async () => {
    states = { n3: 'dead' }
    const stats = new ReplicaStatsService({ self: { id: 'n1', name: 'n1' }, view: () => clusterOf('n1'), key: KEY, tls: false, localAddress: HOSTS.n1, cgroupRoot: root })
    const [first, second] = await Promise.all([stats.samples(), stats.samples()])
    expect(second).toBe(first)
    expect([...first.keys()].sort()).toEqual(['n1', 'n2'])
    expect(await stats.samples()).not.toBe(first) // a later call asks again
  })
})

