// Deploy speed: PUT → every replica healthy through meshd, against starting the same
// containers with `docker run` in a loop (and waiting until each port accepts), in
// the same run on the same engine. Also the idle daemon's RSS.

import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { api, cleanupAll, containersOf, IMAGE, startDaemon, waitFor } from '../test/support/daemon.ts'
import type { TestDaemon } from '../test/support/daemon.ts'

/** dockerRunReadyMs: the docker run loop on a user-defined bridge until every port answers; dockerRunMs: the same on the default bridge. */
export interface DeployResult { replicas: number, meshdMs: number, dockerRunMs: number, dockerRunReadyMs: number, ratio: number }

const NODE = 'test-bench'
const HOST = '127.0.0.41'
const HTTPD = ['httpd', '-f', '-p', '8080', '-h', '/www']
/**
 * The network of the docker-run loop that meshd is compared with: a user-defined bridge,
 * as Compose makes (Docker starts a container on one ~170 ms slower than on its default
 * bridge, for its embedded DNS); meshd's replicas are on such a network too.
 */
const USER_NETWORK = 'meshd-bench-deploy'
/** How long the idle daemon runs its three replicas before its RSS is read. */
const IDLE_S = 30

/** Measures PUT → all healthy for each replica count, with a docker-run loop beside it. */
export async function benchDeploy (counts = [1, 5, 20], runs = 3, progress: (line: string) => void = () => {}): Promise<{ deploys: DeployResult[], idleRssMb: number }> {
  const daemon = await startDaemon({ name: NODE, host: HOST, env: { MESHD_LOG: 'warn' } })
  execFileSync('docker', ['network', 'create', '--label', 'meshd.bench=1', USER_NETWORK], { stdio: 'ignore' })
  try {
    const idleRssMb = await idleRss(daemon, progress)
    const deploys: DeployResult[] = []
    for (const replicas of counts) {
      const meshd: number[] = []
      const bridge: number[] = []
      const ready: number[] = []
      for (let run = 0; run < runs; run++) {
        meshd.push(await meshdDeploy(daemon, replicas))
        bridge.push((await dockerRunLoop(replicas)).readyMs)
        ready.push((await dockerRunLoop(replicas, USER_NETWORK)).readyMs)
        progress(`deploy ${replicas} replicas, run ${run + 1}/${runs}: meshd ${meshd.at(-1)} ms, docker run loop ${ready.at(-1)} ms on a user-defined bridge, ${bridge.at(-1)} ms on the default one`)
      }
      const m = median(meshd)
      const d = median(ready)
      deploys.push({ replicas, meshdMs: m, dockerRunMs: median(bridge), dockerRunReadyMs: d, ratio: Math.round((m / d) * 100) / 100 })
    }
    return { deploys, idleRssMb }
  } finally {
    await cleanupAll()
    try { execFileSync('docker', ['network', 'rm', USER_NETWORK], { stdio: 'ignore' }) } catch {}
  }
}

/**
 * The daemon's RSS idle with one service of three replicas (busybox httpd, a published
 * port, TCP health every second), IDLE_S seconds after they are healthy: the median of
 * three readings 2 s apart. The service is removed afterwards.
 */
async function idleRss (daemon: TestDaemon, progress: (line: string) => void): Promise<number> {
  const spec = { name: 'idle', image: IMAGE, command: HTTPD, replicas: 3, ports: [{ published: 18501, target: 8080 }], health: { type: 'tcp', interval: '1s' } }
  const put = await api(daemon.api, 'PUT', '/v1/services/idle', spec)
  if (put.status !== 201) throw new Error(`PUT failed: ${JSON.stringify(put.body)}`)
  await waitFor(async () => (await api(daemon.api, 'GET', '/v1/services/idle')).body.status.healthy === 3, { timeoutMs: 60_000, what: 'idle to be healthy' })
  progress(`idle RSS: three replicas healthy, idle for ${IDLE_S} s`)
  await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1000))
  const readings: number[] = []
  for (let i = 0; i < 3; i++) {
    readings.push(rssMb(daemon))
    await new Promise((resolve) => setTimeout(resolve, 2000))
  }
  await api(daemon.api, 'DELETE', '/v1/services/idle')
  await waitFor(() => containersOf(NODE, 'idle').length === 0, { timeoutMs: 60_000, what: 'idle containers to go' })
  progress(`idle RSS: ${readings.join(', ')} MB`)
  return median(readings)
}

async function meshdDeploy (daemon: TestDaemon, replicas: number): Promise<number> {
  const spec = { name: 'bench', image: IMAGE, command: HTTPD, replicas, ports: [{ published: 18500, target: 8080 }], health: { type: 'tcp' } }
  const started = performance.now()
  const put = await api(daemon.api, 'PUT', '/v1/services/bench', spec)
  if (put.status !== 201) throw new Error(`PUT failed: ${JSON.stringify(put.body)}`)
  await waitFor(async () => (await api(daemon.api, 'GET', '/v1/services/bench')).body.status.updated === replicas, { intervalMs: 10, timeoutMs: 120_000, what: 'bench to be healthy' })
  const elapsed = Math.round(performance.now() - started)
  await api(daemon.api, 'DELETE', '/v1/services/bench')
  await waitFor(() => containersOf(NODE, 'bench').length === 0, { timeoutMs: 60_000, what: 'bench containers to go' })
  return elapsed
}

/** `docker run -d` in a loop, then until each published port accepts a connection. */
async function dockerRunLoop (replicas: number, network?: string): Promise<{ startedMs: number, readyMs: number }> {
  const started = performance.now()
  const ids: string[] = []
  for (let i = 0; i < replicas; i++) {
    ids.push((await run('docker', ['run', '-d', '--label', 'meshd.bench=1', ...(network === undefined ? [] : ['--network', network]), '-p', `${HOST}::8080`, IMAGE, ...HTTPD])).trim())
  }
  const startedMs = Math.round(performance.now() - started)
  for (const id of ids) {
    const port = execFileSync('docker', ['port', id, '8080/tcp'], { encoding: 'utf8' }).trim().split(':').at(-1)
    await waitFor(async () => await accepts(HOST, Number(port)), { intervalMs: 10, what: 'docker run container to accept' })
  }
  const readyMs = Math.round(performance.now() - started)
  execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' })
  return { startedMs, readyMs }
}

async function run (command: string, args: string[]): Promise<string> {
  return await new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
    child.on('exit', (code) => { code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}`)) })
  })
}

/** True when host:port accepts and keeps a connection (docker-proxy accepts even with nothing behind it). */
async function accepts (host: string, port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect({ host, port, localAddress: host })
    socket.once('error', () => { resolve(false) })
    socket.once('connect', () => {
      socket.write('GET / HTTP/1.0\r\n\r\n')
      socket.once('data', () => { socket.destroy(); resolve(true) })
      socket.once('close', () => { resolve(false) })
    })
  })
}

function rssMb (daemon: TestDaemon): number {
  const status = readFileSync(`/proc/${daemon.child.pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return Math.round(kb / 1024)
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[sorted.length >> 1] ?? 0
}
