// Failover and rolling updates on real daemons.
//
// Failover: a request loop through node 1's mesh while another node that runs a replica
// is SIGKILLed and its containers removed (a machine crash). Per run: kill → declared
// dead (node 1's view) → the replacement replica healthy → the first request node 1's
// mesh routes to it. Then the node comes back and the cluster settles before the next run.
//
// Rolling update: 6 replicas on 3 nodes, an env change with parallelism 1 and monitor 0s,
// PUT → rollout completed, against starting the same 6 containers one after another with
// `docker run` until each answers (the sum of their start times).
// Run directly: node bench/failover.ts

import { execFileSync } from 'node:child_process'
import { connect } from 'node:net'
import { api, cleanupAll, IMAGE, killDaemon, removeContainersOf, waitFor } from '../test/support/daemon.ts'
import { percentile, startCluster, waitForMembers } from '../test/support/cluster.ts'
import type { ClusterNode } from '../test/support/cluster.ts'
import { get } from '../test/support/mesh.ts'

const HOSTS = ['127.0.0.141', '127.0.0.142', '127.0.0.143', '127.0.0.144', '127.0.0.145']
const PORT = 18120

interface Replica { slot: number, node: string, state: string, generation: number, container: string }
interface View { generation: number, replicas: Replica[], rollout?: { phase: string, generation: number } }

export interface FailoverResult { nodes: number, runs: number, detected: Stats, healthy: Stats, routed: Stats, failedRequests: number, requests: number }
export interface Stats { p50: number, p99: number, max: number }
export interface RollingResult { replicas: number, rolloutMs: number, dockerSequentialMs: number, ratio: number, failedRequests: number, requests: number }

function stats (values: number[]): Stats {
  return { p50: percentile(values, 50), p99: percentile(values, 99), max: percentile(values, 100) }
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

function service (replicas: number, v = 'one', update: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'fo',
    image: IMAGE,
    // A replica answers with its slot's hostname and its node: a replacement elsewhere answers anew.
    command: ['sh', '-c', 'echo -n $HOSTNAME@$MESHD_NODE > /www/id; exec httpd -f -p 8080 -h /www'],
    env: { V: v },
    replicas,
    ports: [{ published: PORT, target: 8080 }],
    health: { type: 'tcp', interval: '200ms', retries: 2 },
    update: { parallelism: 1, monitor: '0s', ...update }
  }
}

async function view (node: ClusterNode): Promise<View> {
  return (await api<View>(node.api, 'GET', '/v1/services/fo')).body
}

/** One replica per node, all healthy. */
async function spread (nodes: ClusterNode[], replicas: number): Promise<View> {
  return await waitFor(async () => {
    const v = await view(nodes[0]!)
    const healthy = v.replicas.filter((r) => r.state === 'healthy')
    const onNodes = new Set(healthy.map((r) => r.node))
    return healthy.length === replicas && v.replicas.length === replicas && onNodes.size === Math.min(replicas, nodes.length) ? v : undefined
  }, { timeoutMs: 90_000, what: 'fo to settle' })
}

export async function benchFailover (size: number, runs: number, progress: (line: string) => void = () => {}): Promise<FailoverResult> {
  const hosts = HOSTS.slice(0, size)
  let nodes = await startCluster(`test-bfo${size}`, hosts, () => ['--mesh-idle-timeout', '30s'])
  const names = nodes.map((n) => n.name)
  const detected: number[] = []
  const healthy: number[] = []
  const routed: number[] = []
  let failedRequests = 0
  let requests = 0
  try {
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, Object.fromEntries(names.map((name) => [name, 'alive'])), 30_000) }))
    await api(nodes[0]!.api, 'PUT', '/v1/services/fo', service(3))
    for (let run = 0; run < runs; run++) {
      const before = await spread(nodes, 3)
      await waitFor(async () => (await get(hosts[0]!, PORT, '/id')).ok, { what: 'the mesh to serve fo' })
      const victimName = before.replicas.map((r) => r.node).find((name) => name !== names[0])!
      const victim = names.indexOf(victimName)
      const known = new Set(before.replicas.map((r) => `fo-${r.slot}@${r.node}`))
      // The loop: every answer with its time, through node 1.
      let looping = true
      const answers: Array<{ at: number, body: string }> = []
      const loop = (async () => {
        while (looping) {
          const a = await get(hosts[0]!, PORT, '/id')
          requests++
          if (a.ok) answers.push({ at: Date.now(), body: a.body })
          else failedRequests++
        }
      })()
      await sleep(200)
      const killedAt = Date.now()
      await killDaemon(nodes[victim]!)
      removeContainersOf(victimName)
      let deadAt = 0
      let healthyAt = 0
      let fresh = ''
      await waitFor(async () => {
        if (deadAt === 0) {
          const members = (await api<Array<{ name: string, state: string }>>(nodes[0]!.api, 'GET', '/v1/nodes')).body
          if (members.find((m) => m.name === victimName)?.state === 'dead') deadAt = Date.now()
        }
        if (healthyAt === 0) {
          const v = await view(nodes[0]!)
          const replacement = v.replicas.find((r) => r.state === 'healthy' && r.node !== victimName && !known.has(`fo-${r.slot}@${r.node}`))
          if (replacement !== undefined) { healthyAt = Date.now(); fresh = `fo-${replacement.slot}@${replacement.node}` }
        }
        return deadAt > 0 && healthyAt > 0 && answers.some((a) => a.body === fresh)
      }, { timeoutMs: 30_000, intervalMs: 20, what: 'the replacement to serve' })
      looping = false
      await loop
      const routedAt = answers.find((a) => a.body === fresh)!.at
      detected.push(deadAt - killedAt)
      healthy.push(healthyAt - killedAt)
      routed.push(routedAt - killedAt)
      progress(`failover ${size} nodes, run ${run + 1}/${runs}: dead ${deadAt - killedAt} ms, healthy ${healthyAt - killedAt} ms, routed ${routedAt - killedAt} ms`)
      nodes[victim] = await nodes[victim]!.restart()
      await waitForMembers(nodes[0]!, Object.fromEntries(names.map((name) => [name, 'alive'])), 30_000)
    }
    return { nodes: size, runs, detected: stats(detected), healthy: stats(healthy), routed: stats(routed), failedRequests, requests }
  } finally {
    nodes = []
    await cleanupAll()
  }
}

export async function benchRollingUpdate (progress: (line: string) => void = () => {}): Promise<RollingResult> {
  const hosts = HOSTS.slice(0, 3)
  const nodes = await startCluster('test-bru', hosts)
  try {
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, Object.fromEntries(nodes.map((m) => [m.name, 'alive'])), 30_000) }))
    await api(nodes[0]!.api, 'PUT', '/v1/services/fo', service(6))
    await spread(nodes, 6)
    await waitFor(async () => (await get(hosts[0]!, PORT, '/id')).ok, { what: 'the mesh to serve fo' })
    let looping = true
    let failedRequests = 0
    let requests = 0
    const loop = (async () => {
      while (looping) {
        const a = await get(hosts[1]!, PORT, '/id')
        requests++
        if (!a.ok) failedRequests++
      }
    })()
    progress('rolling update of 6 replicas')
    const started = performance.now()
    await api(nodes[0]!.api, 'PUT', '/v1/services/fo', service(6, 'two'))
    await waitFor(async () => {
      const v = await view(nodes[0]!)
      return v.rollout?.phase === 'completed' && v.rollout.generation === 2 && v.replicas.length === 6 && v.replicas.every((r) => r.generation === 2 && r.state === 'healthy')
    }, { timeoutMs: 120_000, intervalMs: 20, what: 'the rolling update to complete' })
    const rolloutMs = Math.round(performance.now() - started)
    looping = false
    await loop

    progress('the same 6 containers, docker run one after another')
    const sequential = performance.now()
    const ids: string[] = []
    for (let i = 0; i < 6; i++) {
      const id = execFileSync('docker', ['run', '-d', '--label', 'meshd.bench=1', '-p', `${hosts[0]}::8080`, IMAGE, 'httpd', '-f', '-p', '8080', '-h', '/www'], { encoding: 'utf8' }).trim()
      ids.push(id)
      const port = Number(execFileSync('docker', ['port', id, '8080/tcp'], { encoding: 'utf8' }).trim().split(':').at(-1))
      await waitFor(async () => await answers(hosts[0]!, port), { intervalMs: 10, what: 'the container to answer' })
    }
    const dockerSequentialMs = Math.round(performance.now() - sequential)
    execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' })
    return { replicas: 6, rolloutMs, dockerSequentialMs, ratio: Math.round(rolloutMs / dockerSequentialMs * 100) / 100, failedRequests, requests }
  } finally {
    await cleanupAll()
  }
}

/** Whether an HTTP GET on host:port gets any answer bytes (Docker's proxy accepts before the container listens). */
async function answers (host: string, port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect({ host, port })
    socket.setTimeout(500, () => { socket.destroy(); resolve(false) })
    socket.on('connect', () => { socket.write('GET / HTTP/1.0\r\n\r\n') })
    socket.once('data', () => { socket.destroy(); resolve(true) })
    socket.on('error', () => { resolve(false) })
    socket.on('close', () => { resolve(false) })
  })
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const say = (line: string): void => { process.stderr.write(`${line}\n`) }
  console.log(JSON.stringify({ failover3: await benchFailover(3, Number(process.argv[2] ?? 3), say), rolling: await benchRollingUpdate(say) }, null, 2))
}
