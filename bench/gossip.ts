// The gossip layer at several cluster sizes, all nodes in this process over real
// TCP on loopback (127.0.0.61–.69, several ports per address past 9 nodes):
// - detector traffic: heartbeat digests sent and received per node per second, and
//   the digest size;
// - propagation: time from a write on a random node until every other node has it;
// - and, simulated (the detector's logic on a virtual clock, no I/O), how stale each
//   node's news of each member gets at larger sizes, push-only against push-pull.
// Run directly: node bench/gossip.ts [sizes, e.g. 3,5,8,12,16]

import { monitorEventLoopDelay } from 'node:perf_hooks'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { ClusterDocument } from '../src/crdt/index.ts'
import { constants, generateSecret, gossip } from '../src/gossip/index.ts'
import { FailureDetector } from '../src/gossip/detector.ts'
import type { Gossip } from '../src/gossip/index.ts'
import type { ServiceRecord } from '../src/crdt/index.ts'
import type { Logger } from '../src/logger.ts'

export interface GossipBenchResult {
  nodes: number
  /** Digests sent per node per second (mean over nodes). */
  beatsSentPerNodeSec: number
  beatsReceivedPerNodeSec: number
  /** What all-to-all heartbeats would send per node per second at the same period. */
  allToAllPerNodeSec: number
  digestBytes: number
  /** Write on one node → present on every other node. */
  propagationMs: { median: number, p95: number, max: number }
  /** The event loop all nodes share, during the traffic window: p99 and max delay. */
  loopDelayMs: { p99: number, max: number }
}

const BASE_PORT = 46_200
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 5000)
const WRITES = 30
const print = (level: string) => (obj: unknown, msg?: string): void => { process.stderr.write(`${Math.round(performance.now())} ${level} ${msg ?? ''} ${JSON.stringify(obj, (_k, v: unknown) => v instanceof Error ? `${v.name}: ${v.message}` : v)}\n`) }
// BENCH_LOG=debug prints what the nodes log.
const silent: Logger = process.env.BENCH_LOG === undefined
  ? { debug () {}, info () {}, warn () {}, error () {}, child () { return silent } }
  : { debug: process.env.BENCH_LOG === 'debug' ? print('debug') : () => {}, info: print('info'), warn: print('warn'), error: print('error'), child () { return silent } }

interface BenchNode { gossip: Gossip, document: ClusterDocument }

async function startCluster (n: number): Promise<BenchNode[]> {
  const psk = generateSecret()
  const nodes: BenchNode[] = []
  for (let i = 0; i < n; i++) {
    const host = `127.0.0.${61 + (i % 9)}`
    const port = BASE_PORT + Math.floor(i / 9)
    const document = new ClusterDocument({ log: silent })
    const g = gossip({ privateKey: await generateKeyPair('Ed25519'), host, port, psk, document, log: silent, join: i === 0 ? [] : [`127.0.0.61:${BASE_PORT}`] })
    document.putNode(g.id, { name: `n${i}`, host, apiPort: 0, p2pPort: port, labels: {}, draining: false, startedAt: Date.now() })
    await g.start()
    nodes.push({ gossip: g, document })
  }
  const deadline = Date.now() + 30_000
  const ids = nodes.map(node => node.gossip.id)
  while (!nodes.every(node => node.gossip.connections() === n - 1 && ids.every(id => node.gossip.memberState(id) === 'alive'))) {
    if (Date.now() > deadline) {
      const connections = nodes.map(node => node.gossip.connections())
      const alive = nodes.map(node => ids.filter(id => node.gossip.memberState(id) === 'alive').length)
      throw new Error(`${n} nodes did not form a full, all-alive mesh in 30 s: connections ${connections.join(',')}; alive ${alive.join(',')}`)
    }
    await sleep(50)
  }
  return nodes
}

async function measurePropagation (nodes: BenchNode[]): Promise<number[]> {
  const times: number[] = []
  for (let w = 0; w < WRITES; w++) {
    const writer = nodes[Math.floor(Math.random() * nodes.length)] as BenchNode
    const name = `svc-${w}`
    const others = nodes.filter(node => node !== writer)
    const start = performance.now()
    const arrived = Promise.all(others.map(async node => { await untilService(node.document, name) }))
    writer.document.putService(name, serviceRecord(name))
    await arrived
    times.push(performance.now() - start)
    await sleep(20)
  }
  return times
}

async function untilService (document: ClusterDocument, name: string): Promise<void> {
  if (document.service(name) !== undefined) return
  await new Promise<void>(resolve => {
    const onChange = (): void => {
      if (document.service(name) === undefined) return
      document.off('change', onChange)
      resolve()
    }
    document.on('change', onChange)
  })
}

/** Measures each cluster size in turn. */
export async function benchGossip (sizes: number[], say: (line: string) => void = () => {}): Promise<GossipBenchResult[]> {
  const results: GossipBenchResult[] = []
  for (const n of sizes) {
    say(`${n} nodes: forming the mesh`)
    const nodes = await startCluster(n)
    try {
      const before = nodes.map(node => node.gossip.stats().beats)
      const loop = monitorEventLoopDelay({ resolution: 10 })
      loop.enable()
      await sleep(WINDOW_MS)
      loop.disable()
      const after = nodes.map(node => node.gossip.stats().beats)
      const perSec = (pick: (s: { sent: number, received: number }) => number): number =>
        round(after.reduce((sum, s, i) => sum + pick(s) - pick(before[i] as typeof s), 0) / n / (WINDOW_MS / 1000))
      say(`${n} nodes: propagation of ${WRITES} writes`)
      const times = (await measurePropagation(nodes)).sort((a, b) => a - b)
      results.push({
        nodes: n,
        beatsSentPerNodeSec: perSec(s => s.sent),
        beatsReceivedPerNodeSec: perSec(s => s.received),
        allToAllPerNodeSec: round((n - 1) * 1000 / 250),
        digestBytes: 3 + n * (1 + 52 + 16),
        propagationMs: { median: round(quantile(times, 0.5)), p95: round(quantile(times, 0.95)), max: round(times.at(-1) ?? 0) },
        loopDelayMs: { p99: round(loop.percentile(99) / 1e6), max: round(loop.max / 1e6) }
      })
    } finally {
      await Promise.all(nodes.map(async node => { await node.gossip.stop() }))
    }
  }
  return results
}

export interface StalenessResult {
  nodes: number
  fanout: number
  pull: boolean
  messagesPerNodeSec: number
  /** How old a node's freshest news of a member was, sampled every 10 ms: p99.9 and max. */
  staleMs: { p999: number, max: number }
  /** Samples where a node held a live member suspect. */
  falseSuspects: number
}

/**
 * The failure detector of every node on a virtual 1 ms clock: beats at the real
 * period with ±10% jitter, digests delivered after 1 ms, nobody fails. Measures the
 * staleness tail, which decides whether live members are ever suspected.
 */
export function simulateStaleness (n: number, fanout: number, pull: boolean, seconds = 60): StalenessResult {
  const { HEARTBEAT_MS: period, SUSPECT_MS, DEAD_MS, DIGEST_HORIZON_MS: horizon } = constants
  // Signatures are measured apart (beat-signature.ts): here every beat verifies.
  const unsigned = { sign: () => new Uint8Array(64), verify: () => true }
  const nodes = Array.from({ length: n }, (_, i) => new FailureDetector({ self: `m${i}`, suspectMs: SUSPECT_MS, deadMs: DEAD_MS, incarnation: 1, signer: unsigned, verifier: unsigned, offsetWindowMs: constants.OFFSET_WINDOW_MS }))
  const nextBeat = nodes.map(() => Math.random() * period)
  const histogram: number[] = [] // by 10 ms bucket: millions of samples at 100 nodes
  let samples = 0
  let maxAge = 0
  let messages = 0
  let falseSuspects = 0
  for (let t = 0; t < seconds * 1000; t++) {
    nodes.forEach((node, i) => {
      if (t < (nextBeat[i] as number)) return
      nextBeat[i] = t + period * (0.9 + 0.2 * Math.random())
      node.beat(t)
      for (const j of pickOthers(n, i, fanout)) {
        const peer = nodes[j] as FailureDetector
        peer.observe(node.digest(t, horizon), `m${i}`, t + 1)
        messages++
        if (!pull) continue
        node.observe(peer.digest(t + 1, horizon), `m${j}`, t + 2)
        messages++
      }
    })
    if (t < 3000 || t % 10 !== 0) continue
    for (const node of nodes) {
      for (const beat of node.digest(t, horizon)) {
        if (beat.id === node.self) continue
        histogram[Math.floor(beat.age / 10)] = (histogram[Math.floor(beat.age / 10)] ?? 0) + 1
        samples++
        maxAge = Math.max(maxAge, beat.age)
        if (node.state(beat.id, t) !== 'alive') falseSuspects++
      }
    }
  }
  let bucket = 0
  for (let below = 0; below < samples * 0.999; bucket++) below += histogram[bucket] ?? 0
  return { nodes: n, fanout, pull, messagesPerNodeSec: round(messages / n / seconds), staleMs: { p999: bucket * 10, max: maxAge }, falseSuspects }
}

function pickOthers (n: number, self: number, k: number): number[] {
  const picked = new Set<number>()
  while (picked.size < Math.min(k, n - 1)) {
    const j = Math.floor(Math.random() * n)
    if (j !== self) picked.add(j)
  }
  return [...picked]
}

function serviceRecord (name: string): ServiceRecord {
  return { spec: { name, image: `registry.local/${name}:1`, env: {}, replicas: 1, ports: [], labels: {} }, generation: 1, createdAt: Date.now(), updatedAt: Date.now() }
}

function quantile (sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
}

function round (n: number): number {
  return Math.round(n * 10) / 10
}

async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = (process.argv[2] ?? '3,5,8,12,16').split(',').map(Number)
  const results = await benchGossip(sizes, line => { process.stderr.write(`[bench] ${line}\n`) })
  console.log('| nodes | digests sent /node/s | received /node/s | all-to-all would send | digest bytes | propagation median | p95 | max | event loop delay p99 / max |')
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const r of results) {
    console.log(`| ${r.nodes} | ${r.beatsSentPerNodeSec} | ${r.beatsReceivedPerNodeSec} | ${r.allToAllPerNodeSec} | ${r.digestBytes} | ${r.propagationMs.median} ms | ${r.propagationMs.p95} ms | ${r.propagationMs.max} ms | ${r.loopDelayMs.p99} / ${r.loopDelayMs.max} ms |`)
  }
  console.log('')
  console.log('| simulated nodes | fanout | push-pull | messages sent /node/s | staleness p99.9 | max | false suspects |')
  console.log('|---:|---:|---|---:|---:|---:|---:|')
  for (const [n, fanout, pull] of [[32, 3, false], [32, 3, true], [64, 3, true], [100, 3, true]] as const) {
    process.stderr.write(`[bench] simulating ${n} nodes, fanout ${fanout}, ${pull ? 'push-pull' : 'push'}\n`)
    const r = simulateStaleness(n, fanout, pull, 30)
    console.log(`| ${r.nodes} | ${r.fanout} | ${r.pull ? 'yes' : 'no'} | ${r.messagesPerNodeSec} | ${r.staleMs.p999} ms | ${r.staleMs.max} ms | ${r.falseSuspects} |`)
  }
}
