// Real daemons as separate processes on 127.0.0.7x: propagation of a write to every
// other node (3 and 5 nodes), failure detection after SIGKILL, and false deaths of a
// node starved of CPU by busy loops at a better priority.

import { execFileSync, spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { api, cleanupAll, killDaemon, waitFor } from '../test/support/daemon.ts'
import { membersSeenBy, paperService, percentile, startCluster, waitForMembers } from '../test/support/cluster.ts'
import type { ClusterNode } from '../test/support/cluster.ts'

export interface PropagationResult { nodes: number, writes: number, p50: number, p99: number, max: number }
export interface DetectionResult { kills: number, p50: number, p99: number, max: number }
export interface StarvationResult {
  seconds: number
  /** Which of the starved node's threads were reniced. */
  threads: 'main' | 'all'
  /** The observers' verdicts on the starved node. */
  suspects: number
  deaths: number
  /** The starved node's verdicts on the others, which are fine (Lifeguard's local health: 0). */
  starvedSuspects: number
  starvedDeaths: number
}

const hostsOf = (n: number): string[] => Array.from({ length: n }, (_, i) => `127.0.0.${71 + i}`)
const alive = (nodes: ClusterNode[]): Record<string, string> => Object.fromEntries(nodes.map((n) => [n.name, 'alive']))

/** Write on a random node → readable on every other node, over `writes` writes. */
export async function benchPropagation (size: number, writes = 100, progress: (line: string) => void = () => {}): Promise<PropagationResult> {
  const nodes = await startCluster(`test-bp${size}`, hostsOf(size))
  try {
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, alive(nodes)) }))
    const latencies: number[] = []
    for (let i = 0; i < writes; i++) {
      const writer = nodes[i % size]!
      const name = `p-${i}`
      const started = performance.now()
      await api(writer.api, 'PUT', `/v1/services/${name}`, paperService(name))
      await Promise.all(nodes.filter((n) => n !== writer).map(async (n) => {
        await waitFor(async () => (await api(n.api, 'GET', `/v1/services/${name}`)).status === 200, { intervalMs: 2, what: name })
      }))
      latencies.push(performance.now() - started)
    }
    const result = { nodes: size, writes, p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), max: round(Math.max(...latencies)) }
    progress(`propagation on ${size} nodes: p50 ${result.p50} ms, p99 ${result.p99} ms`)
    return result
  } finally {
    await cleanupAll()
  }
}

/** SIGKILL one node `kills` times: time until every survivor lists it dead. */
export async function benchDetection (size = 5, kills = 8, progress: (line: string) => void = () => {}): Promise<DetectionResult> {
  let nodes = await startCluster('test-bd', hostsOf(size))
  try {
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, alive(nodes)) }))
    const times: number[] = []
    for (let k = 0; k < kills; k++) {
      const victim = nodes[size - 1]!
      const survivors = nodes.slice(0, -1)
      await killDaemon(victim, 'SIGKILL')
      const killed = performance.now()
      await Promise.all(survivors.map(async (n) => {
        await waitFor(async () => (await membersSeenBy(n))[victim.name] === 'dead', { intervalMs: 10, what: `${victim.name} dead` })
      }))
      times.push(performance.now() - killed)
      progress(`kill ${k + 1}/${kills}: dead on every survivor after ${Math.round(times.at(-1) ?? 0)} ms`)
      nodes = [...survivors, await victim.restart()]
      await Promise.all(nodes.map(async (n) => { await waitForMembers(n, alive(nodes)) }))
    }
    return { kills, p50: round(percentile(times, 50)), p99: round(percentile(times, 99)), max: round(Math.max(...times)) }
  } finally {
    await cleanupAll()
  }
}

/**
 * One node at nice 19 while busy loops at nice 0 hold every core: how often is it
 * suspected or declared dead? `renice -p PID` changes only the thread whose id is PID
 * (setpriority is per thread on Linux): with `threads: 'main'` the node's other
 * threads keep nice 0; `'all'` renices every thread the process has by then.
 */
export async function benchStarvation (seconds = 20, progress: (line: string) => void = () => {}, threads: 'main' | 'all' = 'main'): Promise<StarvationResult> {
  const nodes = await startCluster('test-bs', hostsOf(3))
  try {
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, alive(nodes)) }))
    const starved = nodes[2]!
    const pid = String(starved.child.pid)
    const tids = threads === 'main' ? [pid] : readdirSync(`/proc/${pid}/task`)
    for (const tid of tids) execFileSync('renice', ['-n', '19', '-p', tid], { stdio: 'ignore' })
    const hogs = Array.from({ length: 2 }, () => spawn(process.execPath, ['-e', `const end = Date.now() + ${seconds * 1000}; while (Date.now() < end) {}`], { stdio: 'ignore' }))
    await Promise.all(hogs.map(async (hog) => await new Promise((resolve) => hog.once('exit', resolve))))
    const observers = nodes.slice(0, 2)
    const count = (state: string): number => observers.reduce((sum, o) => sum + o.output().split('\n')
      .filter((line) => line.includes('member state changed') && line.includes(`"name":"${starved.name}"`) && line.includes(`"state":"${state}"`)).length, 0)
    const verdicts = (state: string): number => starved.output().split('\n')
      .filter((line) => line.includes('member state changed') && !line.includes(`"name":"${starved.name}"`) && line.includes(`"state":"${state}"`)).length
    const result = { seconds, threads, suspects: count('suspect'), deaths: count('dead'), starvedSuspects: verdicts('suspect'), starvedDeaths: verdicts('dead') }
    progress(`CPU-starved node (${threads === 'main' ? 'main thread' : `all ${tids.length} threads`} at nice 19) for ${seconds} s: ${result.suspects} suspicions, ${result.deaths} deaths; by the starved node: ${result.starvedSuspects} suspicions, ${result.starvedDeaths} deaths`)
    return result
  } finally {
    await cleanupAll()
  }
}

function round (ms: number): number {
  return Math.round(ms * 10) / 10
}
