// The node's DNS server: latency of local answers at a steady 1,000 queries/s (goal:
// p99 ≤ 5 ms), and the most queries/s it answers locally on one core.
//
// - latency: open loop, queries sent on a fixed schedule whatever the answers do, from
//   four client addresses at 250/s each (four replicas; the default per-source rate
//   applies), a mix of service, slot, unknown (NXDOMAIN) and AAAA (NODATA) names over a
//   table of 100 services × 3 slots. Latency runs from each send to its answer.
// - throughput: closed loop, 4 clients × 32 queries in flight, against a second server
//   without the per-source rate (it would cap one source at 500/s).
//
// The servers run in a worker thread, so the load generator does not share their event
// loop. Part of `npm run bench`; run alone: node bench/dns.ts

import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import { availableParallelism, loadavg } from 'node:os'
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks'
import { Worker, isMainThread, parentPort } from 'node:worker_threads'
import { RECURSION_DESIRED, encode } from 'dns-packet'
import type { RecordType } from 'dns-packet'
import { dnsServer, nameTable } from '../src/node/dns/index.ts'
import type { DnsServer, DnsStats } from '../src/node/dns/index.ts'
import { silentLogger } from '../src/logger.ts'
import { percentile } from '../test/support/cluster.ts'

const LIMITED = '127.0.0.170'
const UNLIMITED = '127.0.0.175'
const CLIENTS = ['127.0.0.171', '127.0.0.172', '127.0.0.173', '127.0.0.174']
const RATE = 1000
const DURATION_MS = 10_000
const THROUGHPUT_MS = 3000
const IN_FLIGHT = 32

export interface DnsBenchResult {
  /** The steady run: the rate asked for and achieved, and what came back. */
  rate: number
  sent: number
  answered: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  maxMs: number
  /** The machine's 1-minute load average and cores when the run ended: on a busy machine the tail is scheduling. */
  loadAverage: number
  cores: number
  /** Local answers per second, closed loop, without the per-source rate. */
  maxQps: number
  /** The steady run's server counters. */
  stats: DnsStats
  /** The servers' thread during the steady run: event-loop delay (p99, max) and the longest GC pause, to tell the server's own stalls from the machine's. */
  serverLoop: ServerLoop
}

interface ServerLoop { delayP99Ms: number, delayMaxMs: number, gcMaxMs: number }

interface Target { host: string, port: number }

const services = Array.from({ length: 100 }, (_, i) => ({
  service: `svc${i}`,
  address: `10.213.0.${i + 2}`,
  slots: [0, 1, 2].map((slot) => ({ slot, address: `10.213.${slot + 1}.${i + 2}` }))
}))

/** The mix of questions: names that answer A, NXDOMAIN and NODATA, with and without the zone. */
function questions (): Array<{ name: string, type: RecordType }> {
  return services.flatMap(({ service }, i) => [
    { name: service, type: 'A' as const },
    { name: `${service}.meshd`, type: 'A' as const },
    { name: `${service}-${i % 3}`, type: 'A' as const },
    { name: `${service}-9.meshd`, type: 'A' as const },
    { name: service, type: 'AAAA' as const }
  ])
}

export async function benchDns (progress: (line: string) => void = () => {}): Promise<DnsBenchResult> {
  const worker = new Worker(new URL(import.meta.url))
  try {
    const [limited, unlimited] = await new Promise<Target[]>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    const sockets = await Promise.all(CLIENTS.map(bindClient))
    try {
      progress(`dns: ${RATE} queries/s for ${DURATION_MS / 1000} s`)
      const steady = await openLoop(sockets, limited!)
      const { stats, serverLoop } = await ask<{ stats: DnsStats, serverLoop: ServerLoop }>(worker, 'stats')
      progress('dns: closed loop for throughput')
      const maxQps = await closedLoop(sockets, unlimited!)
      return { rate: RATE, ...steady, maxQps, loadAverage: round(loadavg()[0]!), cores: availableParallelism(), stats, serverLoop }
    } finally {
      for (const socket of sockets) socket.close()
    }
  } finally {
    await ask(worker, 'stop')
    await worker.terminate()
  }
}

/** Sends RATE queries/s spread over the sockets for DURATION_MS; latency per answer. */
async function openLoop (sockets: Socket[], target: Target): Promise<{ sent: number, answered: number, p50Ms: number, p90Ms: number, p99Ms: number, maxMs: number }> {
  const mix = questions()
  const sentAt = sockets.map(() => new Map<number, number>())
  const latencies: number[] = []
  sockets.forEach((socket, s) => {
    socket.on('message', (message: Buffer) => {
      const at = sentAt[s]!.get(message.readUInt16BE(0))
      if (at !== undefined) latencies.push(performance.now() - at)
    })
  })
  const total = RATE * DURATION_MS / 1000
  const start = performance.now()
  let sent = 0
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - start) * RATE / 1000))
    for (; sent < due; sent++) {
      const s = sent % sockets.length
      const id = Math.floor(sent / sockets.length) % 0x10000
      const q = mix[sent % mix.length]!
      sentAt[s]!.set(id, performance.now())
      sockets[s]!.send(message(id, q.name, q.type), target.port, target.host)
    }
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  await new Promise((resolve) => setTimeout(resolve, 500))
  for (const socket of sockets) socket.removeAllListeners('message')
  return {
    sent,
    answered: latencies.length,
    p50Ms: round(percentile(latencies, 50)),
    p90Ms: round(percentile(latencies, 90)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(Math.max(...latencies))
  }
}

/** IN_FLIGHT queries outstanding per socket for THROUGHPUT_MS; answers per second. */
async function closedLoop (sockets: Socket[], target: Target): Promise<number> {
  const mix = questions()
  let answered = 0
  let next = 0
  let running = true
  const send = (socket: Socket): void => {
    const q = mix[next++ % mix.length]!
    socket.send(message(next % 0x10000, q.name, q.type), target.port, target.host)
  }
  for (const socket of sockets) {
    socket.on('message', () => {
      answered++
      if (running) send(socket)
    })
    for (let i = 0; i < IN_FLIGHT; i++) send(socket)
  }
  const start = performance.now()
  await new Promise((resolve) => setTimeout(resolve, THROUGHPUT_MS))
  running = false
  const qps = answered * 1000 / (performance.now() - start)
  await new Promise((resolve) => setTimeout(resolve, 200))
  for (const socket of sockets) socket.removeAllListeners('message')
  return Math.round(qps)
}

function message (id: number, name: string, type: RecordType): Buffer {
  return encode({ id, type: 'query', flags: RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] })
}

async function bindClient (address: string): Promise<Socket> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve) => { socket.bind({ address, port: 0 }, resolve) })
  return socket
}

function ask<T> (worker: Worker, what: 'stats' | 'stop'): Promise<T> {
  return new Promise((resolve) => {
    worker.once('message', resolve)
    worker.postMessage(what)
  })
}

function round (value: number): number {
  return Math.round(value * 100) / 100
}

/** The worker: both servers, answering from one table, until told to stop. */
async function serve (): Promise<void> {
  const table = nameTable(services)
  const servers: DnsServer[] = [
    dnsServer({ host: LIMITED, port: 0, table: () => table, upstreams: [], log: silentLogger }),
    dnsServer({ host: UNLIMITED, port: 0, table: () => table, upstreams: [], log: silentLogger, rateLimit: { perSecond: 1e9, burst: 1e9 } })
  ]
  for (const server of servers) await server.start()
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  let gcMaxMs = 0
  const gc = new PerformanceObserver((list) => { for (const entry of list.getEntries()) gcMaxMs = Math.max(gcMaxMs, entry.duration) })
  gc.observe({ entryTypes: ['gc'] })
  parentPort!.on('message', (what: string) => {
    if (what === 'stats') {
      const serverLoop = { delayP99Ms: round(delay.percentile(99) / 1e6), delayMaxMs: round(delay.max / 1e6), gcMaxMs: round(gcMaxMs) }
      parentPort!.postMessage({ stats: servers[0]!.stats(), serverLoop })
      delay.disable()
      gc.disconnect()
    }
    else void Promise.all(servers.map((server) => server.stop())).then(() => { parentPort!.postMessage('stopped') })
  })
  parentPort!.postMessage(servers.map((server) => server.address()))
}

if (!isMainThread) {
  await serve()
} else if (import.meta.main) {
  console.log(JSON.stringify(await benchDns((line) => { process.stderr.write(`[bench] ${line}\n`) })))
}
