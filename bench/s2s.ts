// Service to service: one replica's client reaching another service through its service
// address (the mesh listener on the node's replica network, which dials the replica
// directly), against the same client reaching the same kind of server container
// directly on a plain Docker bridge (what two containers get without meshd; meshd's
// replica network does not let replicas reach each other directly).
//
// The client is wrk, run in a container (meshd/wrk, imported from the host's Debian
// binary and its libraries, as setup builds its images); the server is busybox httpd,
// which closes after each answer, so every request is a new connection through the
// mesh too. One connection at a time, small GET: p50 and p99, median of 3 interleaved
// rounds. Run directly: node bench/s2s.ts

import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { api, cleanupAll, IMAGE, startDaemon, waitFor } from '../test/support/daemon.ts'
import { percentile } from '../test/support/cluster.ts'
import { replicaNetworkName } from '../src/node/runtime/network-layout.ts'
import { ensureTools, parseWrk } from './mesh.ts'

const NODE = 'test-bench-s2s'
const HOST = '127.0.0.44'
const WRK_IMAGE = 'meshd/wrk:bench'
const DIRECT_NETWORK = 'meshd-bench-direct'
const DURATION = '5s'
const HTTPD = ['httpd', '-f', '-p', '8080', '-h', '/www']

export interface LatencyResult { p50Ms: number, p99Ms: number }
export interface S2sBenchResult { direct: LatencyResult, mesh: LatencyResult }

export async function benchServiceToService (progress: (line: string) => void = () => {}): Promise<S2sBenchResult> {
  ensureTools(progress)
  buildWrkImage(progress)
  const daemon = await startDaemon({ name: NODE, host: HOST, env: { MESHD_LOG: 'warn' } })
  let server = ''
  try {
    const created = await api(daemon.api, 'PUT', '/v1/services/web', {
      name: 'web', image: IMAGE, command: HTTPD, replicas: 1, ports: [{ target: 8080 }], health: { type: 'tcp', interval: '200ms' }
    })
    if (created.status !== 201) throw new Error(`cannot create the bench service: ${JSON.stringify(created.body)}`)
    const address = await waitFor(async () => {
      const { body } = await api<{ address?: string, status: { healthy: number } }>(daemon.api, 'GET', '/v1/services/web')
      return body.status.healthy === 1 ? body.address : undefined
    }, { timeoutMs: 60_000, what: 'web healthy, with its service address' })

    execFileSync('docker', ['network', 'create', '--label', 'meshd.bench=1', DIRECT_NETWORK], { stdio: 'ignore' })
    server = execFileSync('docker', ['run', '-d', '--label', 'meshd.bench=1', '--network', DIRECT_NETWORK, IMAGE, ...HTTPD], { encoding: 'utf8' }).trim()
    const serverIp = execFileSync('docker', ['inspect', '-f', `{{(index .NetworkSettings.Networks "${DIRECT_NETWORK}").IPAddress}}`, server], { encoding: 'utf8' }).trim()

    const targets: Record<keyof S2sBenchResult, { network: string, url: string }> = {
      direct: { network: DIRECT_NETWORK, url: `http://${serverIp}:8080/` },
      mesh: { network: replicaNetworkName(NODE), url: `http://${address}:8080/` }
    }
    for (const [name, target] of Object.entries(targets)) {
      await waitFor(() => wrkIn(target.network, target.url, '1s').requests > 0, { timeoutMs: 10_000, what: `wrk to reach web ${name}` })
    }
    const runs: Record<string, LatencyResult[]> = { direct: [], mesh: [] }
    for (let round = 0; round < 3; round++) {
      for (const [name, target] of Object.entries(targets)) {
        progress(`service to service: round ${round + 1}/3, ${name}`)
        runs[name]!.push(wrkIn(target.network, target.url, DURATION))
      }
    }
    const median = (all: LatencyResult[]): LatencyResult => ({ p50Ms: percentile(all.map((r) => r.p50Ms), 50), p99Ms: percentile(all.map((r) => r.p99Ms), 50) })
    return { direct: median(runs.direct!), mesh: median(runs.mesh!) }
  } finally {
    if (server !== '') execFileSync('docker', ['rm', '-f', server], { stdio: 'ignore' })
    try { execFileSync('docker', ['network', 'rm', DIRECT_NETWORK], { stdio: 'ignore' }) } catch {}
    await cleanupAll()
  }
}

/** wrk in a container on `network`: one thread, one connection. */
function wrkIn (network: string, url: string, duration: string): LatencyResult & { requests: number } {
  const { requests, p50Ms, p99Ms } = parseWrk(execFileSync('docker', ['run', '--rm', '--network', network, WRK_IMAGE, '/usr/bin/wrk', '-t', '1', '-c', '1', '-d', duration, '--latency', url], { encoding: 'utf8' }))
  return { requests, p50Ms, p99Ms }
}

/** meshd/wrk: the host's wrk binary and the libraries ldd names, imported as an image once. */
function buildWrkImage (progress: (line: string) => void): void {
  try {
    execFileSync('docker', ['image', 'inspect', WRK_IMAGE], { stdio: 'ignore' })
    return
  } catch {}
  progress('service to service: building meshd/wrk from the host\'s wrk')
  const wrk = execFileSync('which', ['wrk'], { encoding: 'utf8' }).trim()
  const libraries = [...execFileSync('ldd', [wrk], { encoding: 'utf8' }).matchAll(/(\/\S+)/g)].map((m) => m[1]!)
  const dir = mkdtempSync(join(tmpdir(), 'meshd-wrk-'))
  try {
    // tar -h follows the symlinks, so each library lands as the file it names.
    execFileSync('sh', ['-c', `tar -chf - ${[wrk, ...libraries].map((p) => `'${p}'`).join(' ')} 2>/dev/null | docker import - ${WRK_IMAGE}`], { cwd: dir, stdio: 'ignore' })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchServiceToService((line) => { process.stderr.write(`${line}\n`) }), null, 2))
}
