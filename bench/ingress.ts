// The HTTP ingress against Caddy as a reverse proxy, side by side in one run (issue 19's
// Measure): one node, three busybox httpd replicas, and Caddy on the same address at other
// ports proxying to the same replica addresses; the same load generator (wrk) for both.
//
// Two routes of one service: plain.test (HTTP) and secure.test (tls: a TLS route over plain
// HTTP answers 308), with a self-signed certificate made here by openssl and given to meshd
// (PUT /v1/certs/secure.test) and to Caddy (its Caddyfile's `tls`). The ingress refuses a
// handshake without SNI, and wrk sends the URL's host as SNI, so wrk gets the names in its URL
// and a Lua script of one function (wrk.resolve) dials the node's address instead: SNI and
// Host are the names, as a browser would send them, with no /etc/hosts entry.
//
// Per cell (meshd or Caddy × HTTP or HTTPS): 16 keep-alive connections for requests/s and
// the latency under that load, then one keep-alive connection for the latency a request
// sees alone; the proxy's CPU time per 1,000 requests of the 16-connection run (/proc: meshd's
// process, every thread; Caddy's). busybox httpd answers one request per connection (a new
// upstream connection, and a fork, per request behind either proxy), so "direct" (one
// replica's address, no proxy, a new connection per request) says how far the replicas bound
// the proxies' rates. Median of interleaved rounds. Run directly: node bench/ingress.ts [rounds] [duration]

import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { percentile, startCluster } from '../test/support/cluster.ts'
import { api, cleanupAll, IMAGE, waitFor } from '../test/support/daemon.ts'
import { ensureTools, parseWrk } from './mesh.ts'
import type { WrkResult } from './mesh.ts'

const HOST = '127.0.0.161'
const MESHD_PORTS = { http: 18160, https: 18161 }
const CADDY_PORTS = { http: 18162, https: 18163 }
const NAMES = { http: 'plain.test', https: 'secure.test' }
const CONNECTIONS = 16
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())

type Proto = keyof typeof NAMES
type Proxy = 'meshd' | 'caddy'

export interface IngressCell {
  /** 16 keep-alive connections: requests/s and the latency under that load. */
  requestsPerSec: number
  p50Ms: number
  p99Ms: number
  /** One keep-alive connection: the latency of a request alone. */
  aloneP50Ms: number
  aloneP99Ms: number
  /** The proxy's CPU time (user + system) per 1,000 requests of the 16-connection run; 0 for direct. */
  cpuMsPer1k: number
  /** Non-2xx answers and socket errors over every run of the cell. */
  failed: number
}

export interface IngressBenchResult {
  cells: Record<Proto, Record<Proxy, IngressCell>>
  /** HTTP straight to one replica (no proxy). */
  direct: IngressCell
  /** meshd's own count of requests sent again to another replica (GET /v1/mesh), over the whole bench. */
  meshdRetries: number
  caddyVersion: string
  rounds: number
  duration: string
}

interface WrkRun extends WrkResult { failed: number }
interface Sample { load: WrkRun, alone: WrkRun, cpuMs: number }
type Contender = Proxy | 'direct'

export async function benchIngress (progress: (line: string) => void = () => {}, { rounds = 3, duration = '5s' } = {}): Promise<IngressBenchResult> {
  ensureTools(progress, ['caddy', 'wrk'], 'ingress')
  const dir = mkdtempSync(join(tmpdir(), 'meshd-bench-ingress-'))
  let caddy: ChildProcess | undefined
  try {
    const [node] = await startCluster('test-bing', [HOST], () => ['--http-port', String(MESHD_PORTS.http), '--https-port', String(MESHD_PORTS.https)])
    const created = await api(node!.api, 'PUT', '/v1/services/bench', {
      name: 'bench',
      image: IMAGE,
      command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
      replicas: 3,
      ports: [{ target: 8080 }],
      health: { type: 'tcp', interval: '200ms' },
      ingress: [{ host: NAMES.http, port: 8080 }, { host: NAMES.https, port: 8080, tls: true }]
    })
    if (created.status !== 201) throw new Error(`cannot create the bench service: ${JSON.stringify(created.body)}`)
    const endpoints = await waitFor(async () => {
      const { body } = await api<{ replicas: Array<{ state: string, endpoint: string }> }>(node!.api, 'GET', '/v1/services/bench')
      const healthy = body.replicas.filter((r) => r.state === 'healthy').map((r) => r.endpoint)
      return healthy.length === 3 ? healthy : undefined
    }, { timeoutMs: 60_000, what: 'three healthy bench replicas' })

    // One self-signed certificate for secure.test, for both proxies.
    const cert = join(dir, 'cert.pem')
    const key = join(dir, 'key.pem')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-subj', `/CN=${NAMES.https}`, '-addext', `subjectAltName=DNS:${NAMES.https}`, '-keyout', key, '-out', cert], { stdio: 'ignore' })
    const given = await api(node!.api, 'PUT', `/v1/certs/${NAMES.https}`, { certificate: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') })
    if (given.status !== 200 && given.status !== 201) throw new Error(`cannot give meshd the certificate: ${JSON.stringify(given.body)}`)

    const script = join(dir, 'resolve.lua')
    writeFileSync(script, `-- dial the bench's address; the URL's host stays the SNI and the Host header\nfunction wrk.resolve(host, service)\n  wrk.addrs = wrk.lookup("${HOST}", service)\nend\n`)
    const url = (proxy: Proxy, proto: Proto): string => `${proto}://${NAMES[proto]}:${(proxy === 'meshd' ? MESHD_PORTS : CADDY_PORTS)[proto]}/`
    const run = (proxy: Proxy, proto: Proto, connections: number, time: string): WrkRun => wrk(url(proxy, proto), connections, time, script)
    const serving = (proxy: Proxy, proto: Proto): boolean => {
      const check = run(proxy, proto, 1, '1s')
      return check.requests > 0 && check.failed === 0
    }
    await waitFor(() => serving('meshd', 'http') && serving('meshd', 'https'), { timeoutMs: 20_000, what: 'the ingress to serve both routes' })

    const caddyfile = join(dir, 'Caddyfile')
    writeFileSync(caddyfile, caddyConfig(endpoints, cert, key))
    const home = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') }
    caddy = spawn('caddy', ['run', '--config', caddyfile, '--adapter', 'caddyfile'], { env: { ...process.env, ...home }, stdio: ['ignore', 'ignore', 'pipe'] })
    let caddyLog = ''
    caddy.stderr?.on('data', (chunk: Buffer) => { caddyLog = (caddyLog + chunk.toString()).slice(-4000) })
    const child = caddy
    await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`caddy exited (${child.exitCode}):\n${caddyLog}`)
      return serving('caddy', 'http') && serving('caddy', 'https')
    }, { timeoutMs: 20_000, what: 'Caddy to serve both sites' })

    // Interleaved rounds, so a slow moment of the machine does not fall on one contender.
    const pids: Record<Contender, number | undefined> = { meshd: node!.child.pid, caddy: caddy.pid, direct: undefined }
    const contenders: Array<[Contender, Proto]> = [['direct', 'http'], ['meshd', 'http'], ['caddy', 'http'], ['meshd', 'https'], ['caddy', 'https']]
    const runs: Record<string, Sample[]> = {}
    for (let round = 0; round < rounds; round++) {
      for (const [who, proto] of contenders) {
        progress(`ingress: round ${round + 1}/${rounds}, ${who} ${proto}`)
        const target = (connections: number): WrkRun => who === 'direct' ? wrk(`http://${endpoints[0]!}/`, connections, duration) : run(who, proto, connections, duration)
        const before = cpuMs(pids[who])
        const load = target(CONNECTIONS)
        const cpu = cpuMs(pids[who]) - before
        ;(runs[`${who} ${proto}`] ??= []).push({ load, alone: target(1), cpuMs: load.requests === 0 ? 0 : cpu * 1000 / load.requests })
      }
    }
    const cell = (who: Contender, proto: Proto): IngressCell => {
      const all = runs[`${who} ${proto}`] ?? []
      const median = (pick: (r: Sample) => number): number => percentile(all.map(pick), 50)
      return {
        requestsPerSec: Math.round(median((r) => r.load.requestsPerSec)),
        p50Ms: median((r) => r.load.p50Ms),
        p99Ms: median((r) => r.load.p99Ms),
        aloneP50Ms: median((r) => r.alone.p50Ms),
        aloneP99Ms: median((r) => r.alone.p99Ms),
        cpuMsPer1k: Math.round(median((r) => r.cpuMs)),
        failed: all.reduce((sum, r) => sum + r.load.failed + r.alone.failed, 0)
      }
    }
    const mesh = await api<{ ingress?: { routes: Array<{ retries: number }> } }>(node!.api, 'GET', '/v1/mesh')
    return {
      meshdRetries: (mesh.body.ingress?.routes ?? []).reduce((sum, r) => sum + r.retries, 0),
      cells: {
        http: { meshd: cell('meshd', 'http'), caddy: cell('caddy', 'http') },
        https: { meshd: cell('meshd', 'https'), caddy: cell('caddy', 'https') }
      },
      direct: cell('direct', 'http'),
      caddyVersion: execFileSync('caddy', ['version'], { encoding: 'utf8' }).trim().split(' ')[0] ?? '?',
      rounds,
      duration
    }
  } finally {
    caddy?.kill('SIGKILL')
    await cleanupAll()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The BENCHMARKS.md section of a run: the table and the ratios against the goals of issue 19. */
export function ingressSection (ing: IngressBenchResult): string {
  const row = (name: string, c: IngressCell): string =>
    `| ${name} | ${c.requestsPerSec} | ${c.p50Ms} ms | ${c.p99Ms} ms | ${c.aloneP50Ms} ms | ${c.aloneP99Ms} ms | ${c.cpuMsPer1k === 0 ? '–' : `${c.cpuMsPer1k} ms`} | ${c.failed} |`
  const goals = (proto: 'http' | 'https'): string => {
    const { meshd, caddy } = ing.cells[proto]
    return `${proto.toUpperCase()}: throughput **${ratio(meshd.requestsPerSec, caddy.requestsPerSec)}× Caddy** (goal ≥ 0.8), ` +
      `p50 **${ratio(meshd.aloneP50Ms, caddy.aloneP50Ms)}× Caddy** alone (goal ≤ 1.3) and ${ratio(meshd.p50Ms, caddy.p50Ms)}× under 16 connections`
  }
  return [
    '## HTTP ingress: meshd against Caddy, keep-alive and TLS',
    '',
    `One node, three busybox httpd replicas; meshd's ingress and Caddy ${ing.caddyVersion} (Debian; reverse_proxy, least_conn, HTTP/1.1 to`,
    'the upstreams, as many threads as cores) on the same address proxy to the same replica addresses. Two routes of one service:',
    '`plain.test` over HTTP, `secure.test` (tls) over HTTPS with one self-signed P-256 certificate given to both (meshd by',
    '`PUT /v1/certs`). wrk (one thread, keep-alive) on the same two cores, with the names in its URL and a one-function Lua',
    'script (`wrk.resolve`) dialling the node\'s address, so SNI and Host carry the route\'s name (the ingress refuses a',
    'handshake without SNI; no /etc/hosts entry). "16 conns": requests/s and latency with 16 connections; "alone": one',
    'connection; CPU: the proxy process\'s CPU time per 1,000 requests of the 16-connection run. busybox answers one request',
    'per connection, so behind either proxy every request is a new upstream connection; "direct" (one replica, no proxy, a new',
    `connection per request) shows how far the replicas bound the rates. Median of ${ing.rounds} interleaved rounds of ${ing.duration} per run.`,
    '',
    '| path | req/s (16 conns) | p50 (16 conns) | p99 (16 conns) | p50 alone | p99 alone | CPU / 1k req | failed |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    row('direct, HTTP', ing.direct),
    row('meshd, HTTP', ing.cells.http.meshd),
    row('Caddy, HTTP', ing.cells.http.caddy),
    row('meshd, HTTPS', ing.cells.https.meshd),
    row('Caddy, HTTPS', ing.cells.https.caddy),
    '',
    `${goals('http')}. ${goals('https')}. CPU per request: meshd ${ratio(ing.cells.http.meshd.cpuMsPer1k, ing.cells.http.caddy.cpuMsPer1k)}× Caddy over HTTP, ` +
      `${ratio(ing.cells.https.meshd.cpuMsPer1k, ing.cells.https.caddy.cpuMsPer1k)}× over HTTPS (the daemon runs without V8's optimising compilers: bin/meshd.js). ` +
      `meshd sent ${ing.meshdRetries} requests again to another replica (a pooled upstream connection busybox had closed).`
  ].join('\n')
}

function ratio (a: number, b: number): number {
  return b === 0 ? 0 : Math.round((a / b) * 100) / 100
}

/**
 * Caddy on the bench's address at its own ports, proxying both names to the same replicas
 * (least_conn, HTTP/1.1 with its default keep-alive pool): no admin endpoint, no redirect
 * listener, no ACME (the certificate is given), its state in the bench's temp dir.
 */
export function caddyConfig (endpoints: string[], cert: string, key: string): string {
  const proxy = [`\treverse_proxy ${endpoints.join(' ')} {`, '\t\tlb_policy least_conn', '\t}']
  return [
    '{',
    '\tadmin off',
    '\tauto_https disable_redirects',
    '\tskip_install_trust',
    `\thttp_port ${CADDY_PORTS.http}`,
    `\thttps_port ${CADDY_PORTS.https}`,
    '}',
    `http://${NAMES.http}:${CADDY_PORTS.http} {`, `\tbind ${HOST}`, ...proxy, '}',
    `https://${NAMES.https}:${CADDY_PORTS.https} {`, `\tbind ${HOST}`, `\ttls ${cert} ${key}`, ...proxy, '}'
  ].join('\n') + '\n'
}

/** One wrk run (one thread, keep-alive), with the resolve script if given; failed counts non-2xx/3xx answers and socket errors. */
function wrk (url: string, connections: number, duration: string, script?: string): WrkRun {
  const out = execFileSync('wrk', ['-t', '1', '-c', String(connections), '-d', duration, '--latency', ...(script === undefined ? [] : ['-s', script]), url], { encoding: 'utf8' })
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const errors = socket === null ? 0 : socket.slice(1).reduce((sum, n) => sum + Number(n), 0)
  return { ...parseWrk(out), failed: non2xx + errors }
}

/** The CPU time (user + system, every thread) a process has used so far, in ms; 0 without a process. */
function cpuMs (pid: number | undefined): number {
  if (pid === undefined) return 0
  // Fields after the command's closing parenthesis start at the 3rd (state): utime is the 14th, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 1000 / TICKS_PER_SECOND
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [rounds, duration] = process.argv.slice(2)
  const options = { ...(rounds === undefined ? {} : { rounds: Number(rounds) }), ...(duration === undefined ? {} : { duration }) }
  const result = await benchIngress((line) => { process.stderr.write(`${line}\n`) }, options)
  console.log(`${JSON.stringify(result, null, 2)}\n\n${ingressSection(result)}`)
}
