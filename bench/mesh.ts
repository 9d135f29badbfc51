// The routing mesh against going direct and against HAProxy, side by side in one run:
// the same three busybox httpd replicas behind each, the same load generator (wrk).
//
// - latency: one connection at a time, small GET (busybox closes after each answer, so
//   every request is a new connection through the proxy too): p50 and p99.
// - new connections/s: 16 concurrent connections of one small GET each.
// - bulk: 4 concurrent GETs of a 64 MiB file, bytes per second.
//
// Direct is one replica's address on the node's replica network (no proxy in between);
// meshd and HAProxy balance over all three. HAProxy runs in TCP mode with leastconn.
// Run directly: node bench/mesh.ts

import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { api, cleanupAll, IMAGE, startDaemon, waitFor } from '../test/support/daemon.ts'
import { percentile } from '../test/support/cluster.ts'

const NODE = 'test-bench-mesh'
const HOST = '127.0.0.45'
const HAPROXY_HOST = '127.0.0.46'
const PORT = 18090
const DURATION = '5s'

export interface LoadResult { p50Ms: number, p99Ms: number, connsPerSec: number, bulkMBps: number }
export interface MeshBenchResult { direct: LoadResult, meshd: LoadResult, haproxy: LoadResult, meshdRssMb: number }

export async function benchMesh (progress: (line: string) => void = () => {}): Promise<MeshBenchResult> {
  ensureTools(progress)
  const daemon = await startDaemon({ name: NODE, host: HOST, env: { MESHD_LOG: 'warn' } })
  let haproxy: ChildProcess | undefined
  const dir = mkdtempSync(join(tmpdir(), 'meshd-bench-haproxy-'))
  try {
    const created = await api(daemon.api, 'PUT', '/v1/services/bench', {
      name: 'bench',
      image: IMAGE,
      command: ['sh', '-c', 'dd if=/dev/zero of=/www/bulk bs=1M count=0 seek=64 2>/dev/null; exec httpd -f -p 8080 -h /www'],
      replicas: 3,
      ports: [{ published: PORT, target: 8080 }],
      health: { type: 'tcp', interval: '200ms' }
    })
    if (created.status !== 201) throw new Error(`cannot create the bench service: ${JSON.stringify(created.body)}`)
    const endpoints = await waitFor(async () => {
      const { body } = await api<{ replicas: Array<{ state: string, endpoint: string }> }>(daemon.api, 'GET', '/v1/services/bench')
      const healthy = body.replicas.filter((r) => r.state === 'healthy').map((r) => r.endpoint)
      return healthy.length === 3 ? healthy : undefined
    }, { timeoutMs: 60_000, what: 'three healthy bench replicas' })
    await waitFor(() => wrk(`http://${HOST}:${PORT}/`, 1, '1s').requests > 0, { timeoutMs: 10_000, what: 'the mesh to serve the bench port' })

    const config = join(dir, 'haproxy.cfg')
    writeFileSync(config, [
      'global', '  maxconn 8000', '  nbthread 1',
      'defaults', '  mode tcp', '  timeout connect 3s', '  timeout client 300s', '  timeout server 300s',
      'frontend bench', `  bind ${HAPROXY_HOST}:${PORT}`, '  default_backend replicas',
      'backend replicas', '  balance leastconn',
      ...endpoints.map((endpoint, i) => `  server r${i} ${endpoint}`)
    ].join('\n') + '\n')
    haproxy = spawn('haproxy', ['-f', config, '-db'], { stdio: 'ignore' })
    await waitFor(() => wrk(`http://${HAPROXY_HOST}:${PORT}/`, 1, '1s').requests > 0, { timeoutMs: 10_000, what: 'HAProxy to serve' })

    const targets = { direct: `http://${endpoints[0]!}`, meshd: `http://${HOST}:${PORT}`, haproxy: `http://${HAPROXY_HOST}:${PORT}` }
    const results: Partial<Record<keyof typeof targets, LoadResult>> = {}
    // Interleaved rounds, so a slow moment of the machine does not fall on one contender.
    const rounds: Array<Record<string, LoadResult[]>> = []
    for (let round = 0; round < 3; round++) {
      const row: Record<string, LoadResult[]> = {}
      for (const [name, base] of Object.entries(targets)) {
        progress(`mesh: round ${round + 1}/3, ${name}`)
        const latency = wrk(`${base}/`, 1, DURATION)
        const conns = wrk(`${base}/`, 16, DURATION)
        const bulk = wrk(`${base}/bulk`, 4, DURATION)
        ;(row[name] ??= []).push({ p50Ms: latency.p50Ms, p99Ms: latency.p99Ms, connsPerSec: conns.requestsPerSec, bulkMBps: bulk.bytesPerSec / 1e6 })
      }
      rounds.push(row)
    }
    for (const name of Object.keys(targets) as Array<keyof typeof targets>) {
      const all = rounds.flatMap((row) => row[name] ?? [])
      results[name] = {
        p50Ms: percentile(all.map((r) => r.p50Ms), 50),
        p99Ms: percentile(all.map((r) => r.p99Ms), 50),
        connsPerSec: percentile(all.map((r) => r.connsPerSec), 50),
        bulkMBps: percentile(all.map((r) => r.bulkMBps), 50)
      }
    }
    const rss = Number(/VmHWM:\s+(\d+)/.exec(execFileSync('cat', [`/proc/${daemon.child.pid!}/status`], { encoding: 'utf8' }))?.[1] ?? 0) / 1024
    return { direct: results.direct!, meshd: results.meshd!, haproxy: results.haproxy!, meshdRssMb: Math.round(rss) }
  } finally {
    haproxy?.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    await cleanupAll()
  }
}

export interface WrkResult { requests: number, requestsPerSec: number, bytesPerSec: number, p50Ms: number, p99Ms: number }

/** One wrk run (one thread): requests, rate, transfer rate and latency percentiles. */
function wrk (url: string, connections: number, duration: string): WrkResult {
  return parseWrk(execFileSync('wrk', ['-t', '1', '-c', String(connections), '-d', duration, '--latency', url], { encoding: 'utf8' }))
}

/** What wrk printed: requests, rate, transfer rate and latency percentiles. */
export function parseWrk (out: string): WrkResult {
  const number = (pattern: RegExp): number => {
    const match = pattern.exec(out)
    if (match === null) return 0
    return Number(match[1]) * unit(match[2] ?? '')
  }
  return {
    requests: number(/(\d+) requests in/),
    requestsPerSec: number(/Requests\/sec:\s+([\d.]+)/),
    bytesPerSec: number(/Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/),
    p50Ms: number(/50%\s+([\d.]+)(us|ms|s)/),
    p99Ms: number(/99%\s+([\d.]+)(us|ms|s)/)
  }
}

/** wrk's units: latencies to ms, sizes to bytes. */
function unit (suffix: string): number {
  return ({ us: 0.001, ms: 1, s: 1000, B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 } as Record<string, number>)[suffix] ?? 1
}

/** Debian's `tools` (HAProxy and wrk by default), installed when missing (the bench needs root, as setup does). */
export function ensureTools (progress: (line: string) => void, tools = ['haproxy', 'wrk'], what = 'mesh'): void {
  const missing = tools.filter((tool) => {
    try { execFileSync('which', [tool], { stdio: 'ignore' }); return false } catch { return true }
  })
  if (missing.length === 0) return
  progress(`${what}: installing ${missing.join(' and ')}`)
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchMesh((line) => { process.stderr.write(`${line}\n`) }), null, 2))
}
