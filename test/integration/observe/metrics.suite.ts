// Issue 17, metrics: GET /metrics on every node passes `promtool check metrics`; after
// 1,000 requests through the mesh each node's replica counts and mesh counters match
// its GET /v1/services/web; `meshd top --json` lists web's 3 replicas with CPU and memory.

import { execFile, spawnSync } from 'node:child_process'
import { connect } from 'node:net'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'
import { api, BIN, tokenOf, waitFor } from '../../support/daemon.ts'
import type { ClusterNode } from '../../support/cluster.ts'
import { parseMetrics, valueOf } from '../../node/metrics/parse.ts'
import type { ObserveContext } from './context.ts'

const run = promisify(execFile)
const REQUESTS = 1000
const CONCURRENCY = 25

async function metricsOf (node: ClusterNode): Promise<string> {
  const response = await fetch(`${node.api}/metrics`, { headers: { authorization: `Bearer ${tokenOf(node)}` }, signal: AbortSignal.timeout(10_000) })
  expect(response.status).toBe(200)
  return await response.text()
}

/** One HTTP/1.0 request on a connection of its own (the mesh counts connections); resolves with the answer. */
async function requestOnce (host: string, port: number): Promise<string> {
  return await new Promise((resolve, reject) => {
    const socket = connect({ host, port })
    const chunks: Buffer[] = []
    socket.setTimeout(5000, () => { socket.destroy(new Error(`${host}:${port}: no answer in 5 s`)) })
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => { resolve(Buffer.concat(chunks).toString()) })
    socket.end('GET /id HTTP/1.0\r\n\r\n')
  })
}

/** Until every node sees web's 3 replicas healthy (a loaded machine may have a replica replaced in between). */
async function webHealthy (ctx: ObserveContext): Promise<void> {
  for (const node of ctx.nodes()) {
    await waitFor(async () => (await api<WebView>(node.api, 'GET', `/v1/services/${ctx.web.name}`)).body.status.healthy === 3, { timeoutMs: 30_000, what: `web healthy on ${node.name}` })
  }
}

interface MeshStats { connections: { total: number, active: number }, bytesIn: number, bytesOut: number, errors: number, retries: number }
interface WebView { status: { desired: number, healthy: number }, replicas: Array<{ state: string }>, mesh?: { stats?: MeshStats } }

export function metricsSuite (ctx: ObserveContext): void {
  it('serves GET /metrics on every node, clean under promtool check metrics', async () => {
    for (const node of ctx.nodes()) {
      const text = await metricsOf(node)
      const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
      expect(`${node.name}: ${checked.stdout}${checked.stderr}`).toBe(`${node.name}: `)
      expect(checked.status).toBe(0)
      expect(text).toContain('meshd_members{state="alive"} 3')
      // Unauthenticated scrapes are refused unless the node runs with --metrics-public.
      expect((await fetch(`${node.api}/metrics`)).status).toBe(401)
    }
  })

  it('counts 1,000 requests through the mesh as GET /v1/services/web does, on every node', async () => {
    await webHealthy(ctx)
    const nodes = ctx.nodes()
    const before = await Promise.all(nodes.map(async (node) => valueOf(parseMetrics(await metricsOf(node)), 'meshd_mesh_connections_total', { service: ctx.web.name }) ?? 0))
    let next = 0
    const sent = nodes.map(() => 0)
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        const index = next++ % nodes.length
        // A replica replaced under load (its health check starved) may reset a request: try it again.
        let answer = ''
        for (let attempt = 1; answer === ''; attempt++) {
          answer = await requestOnce(ctx.hosts[index]!, ctx.web.port).catch((err: Error) => { if (attempt >= 3) throw err; return '' })
        }
        expect(answer).toMatch(/^HTTP\/1\.[01] 200/)
        sent[index]!++
      }
    }))
    // Bytes are counted as a connection closes: wait until none of web's is open anywhere.
    await waitFor(async () => (await Promise.all(nodes.map(async (node) => (await api<WebView>(node.api, 'GET', `/v1/services/${ctx.web.name}`)).body.mesh?.stats?.connections.active ?? 0))).every((n) => n === 0),
      { timeoutMs: 10_000, what: 'web connections closed' })
    for (const [index, node] of nodes.entries()) {
      const view = (await api<WebView>(node.api, 'GET', `/v1/services/${ctx.web.name}`)).body
      const families = parseMetrics(await metricsOf(node))
      const labels = { service: ctx.web.name }
      const at = (name: string): number | undefined => valueOf(families, name, labels)
      expect(at('meshd_service_replicas_desired')).toBe(view.status.desired)
      expect(at('meshd_service_replicas_healthy')).toBe(view.status.healthy)
      expect(at('meshd_service_replicas_running')).toBe(view.replicas.filter((r) => ['running', 'healthy', 'unhealthy'].includes(r.state)).length)
      const mesh = view.mesh?.stats
      expect(mesh).toBeDefined()
      expect(at('meshd_mesh_connections_total')).toBe(mesh!.connections.total)
      expect(at('meshd_mesh_active_connections')).toBe(mesh!.connections.active)
      expect(at('meshd_mesh_received_bytes_total')).toBe(mesh!.bytesIn)
      expect(at('meshd_mesh_sent_bytes_total')).toBe(mesh!.bytesOut)
      expect(at('meshd_mesh_errors_total')).toBe(mesh!.errors)
      expect(at('meshd_mesh_retries_total')).toBe(mesh!.retries)
      // Each node accepted at least the requests sent to it (hops from the others come on top).
      expect(mesh!.connections.total - before[index]!).toBeGreaterThanOrEqual(sent[index]!)
      const connects = valueOf(families, 'meshd_mesh_connect_duration_seconds', labels, 'meshd_mesh_connect_duration_seconds_count')
      expect(connects).toBeGreaterThanOrEqual(mesh!.connections.total - mesh!.errors)
    }
  })

  it('meshd top --json lists 3 replicas of web, on 3 nodes, with CPU and memory', async () => {
    await webHealthy(ctx)
    const node = ctx.nodes()[0]!
    const env = { ...process.env, MESHD_TOKEN: tokenOf(node) }
    // Both commands at once: each CLI start costs seconds on a busy machine.
    const [{ stdout }, table] = await Promise.all([
      run(process.execPath, [BIN, 'top', '--json', '--api', node.api], { env, timeout: 20_000 }),
      run(process.execPath, [BIN, 'service', 'stats', ctx.web.name, '--api', node.api], { env, timeout: 20_000 })
    ])
    const stats = JSON.parse(stdout) as { replicas: Array<{ service: string, node: string, cpuSeconds: number, cpuPercent: number, memoryBytes: number }>, unreachable: string[] }
    expect(stats.unreachable).toEqual([])
    const web = stats.replicas.filter((r) => r.service === ctx.web.name)
    expect(web).toHaveLength(3)
    expect(new Set(web.map((r) => r.node)).size).toBe(3)
    for (const replica of web) {
      expect(replica.cpuSeconds).toBeGreaterThan(0)
      expect(replica.cpuPercent).toBeGreaterThanOrEqual(0)
      expect(replica.memoryBytes).toBeGreaterThan(0)
    }
    expect(table.stdout.split('\n').filter((line) => line.startsWith(`${ctx.web.name}.`))).toHaveLength(3)
  })
}
