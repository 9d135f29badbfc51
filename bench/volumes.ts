// Moving a stateful replica's volume data on a drain (issue 15), against a plain copy.
//
// Two real nodes; one service of one replica with one volume filled with 100 MiB of
// incompressible data. Each run drains the node that runs it (the node it left is undrained
// again, so runs go back and forth) and times the drain request → the replica healthy on the
// other node (total), and the copy alone as the new node logs it ('copied volume data from
// its previous node': pull + import). The baseline copies the same 100 MiB from one volume
// into a fresh one on this machine with `docker run … tar cf - . | tar xf -`, measured
// between the runs. (The image links only a few applets: tar, cp and md5sum run as `busybox tar` etc.)
// Run directly: node bench/volumes.ts (BVOL_LOG=dir keeps the daemons' logs; BVOL_PROF=1 stops them
// with SIGTERM instead of SIGKILL, so that NODE_OPTIONS=--cpu-prof leaves their profiles).

import { execFileSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { api, IMAGE, killDaemon, removeContainersOf, waitFor } from '../test/support/daemon.ts'
import { startCluster, waitForMembers } from '../test/support/cluster.ts'
import type { ClusterNode } from '../test/support/cluster.ts'

const HOSTS = ['127.0.0.251', '127.0.0.252']
const PREFIX = 'test-bvol'
const MIB = 100
const BASE_A = `${PREFIX}-tar-a`
const BASE_B = `${PREFIX}-tar-b`

// sh as PID 1 ignores SIGTERM unless it traps it: with the trap it exits at once, so the stop
// of the old replica costs no stop timeout. httpd answers the TCP health check.
const SERVICE = {
  name: 'bvol',
  image: IMAGE,
  command: ['sh', '-c', 'trap "exit 0" TERM; httpd -f -p 8080 -h /www & wait'],
  replicas: 1,
  volumes: [{ source: 'data', target: '/data' }],
  health: { type: 'tcp', port: 8080, interval: '200ms', retries: 2 }
}

interface Replica { slot: number, node: string, state: string, container: string }
interface View { replicas: Replica[] }

export interface VolumeMoveRun { totalMs: number, copyMs: number, tarMs: number }
export interface VolumeMoveResult {
  mib: number
  runs: VolumeMoveRun[]
  /** Medians. */
  totalMs: number
  copyMs: number
  tarMs: number
  totalOverTar: number
  copyOverTar: number
}

const docker = (args: string[]): string => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2)
}

function ratio (a: number, b: number): number {
  return b === 0 ? 0 : Math.round((a / b) * 100) / 100
}

/** The ms of every 'copied volume data from its previous node' line a node logged. */
function copyTimes (node: ClusterNode): number[] {
  return node.output().split('\n').flatMap((line) => {
    if (!line.includes('copied volume data from its previous node')) return []
    try {
      const ms = (JSON.parse(line) as { ms?: unknown }).ms
      return typeof ms === 'number' ? [ms] : []
    } catch {
      return []
    }
  })
}

/** `docker run … tar | tar` of the baseline volume into a fresh one, in ms. */
function tarCopy (): number {
  docker(['volume', 'rm', '-f', BASE_B])
  docker(['volume', 'create', BASE_B])
  const began = performance.now()
  docker(['run', '--rm', '-v', `${BASE_A}:/a`, '-v', `${BASE_B}:/b`, IMAGE, 'sh', '-c', 'cd /a && busybox tar cf - . | busybox tar xf - -C /b'])
  return Math.round(performance.now() - began)
}

/**
 * Removes this bench's daemons, containers, networks, volumes and data dirs, and nothing else:
 * cleanupAll() would take every `test-` node's, those of tests running beside it too.
 */
async function cleanup (nodes: ClusterNode[]): Promise<void> {
  await Promise.all(nodes.map(async (n) => await killDaemon(n, process.env.BVOL_PROF === undefined ? 'SIGKILL' : 'SIGTERM')))
  for (const n of nodes) {
    removeContainersOf(n.name)
    const networks = docker(['network', 'ls', '-q', '--filter', `label=meshd.node=${n.name}`]).split('\n').filter(Boolean)
    if (networks.length > 0) docker(['network', 'rm', ...networks])
    const volumes = docker(['volume', 'ls', '-q', '--filter', `label=meshd.node=${n.name}`]).split('\n').filter(Boolean)
    if (volumes.length > 0) docker(['volume', 'rm', '-f', ...volumes])
    rmSync(n.dataDir, { recursive: true, force: true })
  }
  docker(['volume', 'rm', '-f', BASE_A, BASE_B])
}

export async function benchVolumeMove (progress: (line: string) => void = () => {}, runs = 3): Promise<VolumeMoveResult> {
  const nodes = await startCluster(PREFIX, HOSTS)
  const view = async (via: ClusterNode): Promise<View> => (await api<View>(via.api, 'GET', '/v1/services/bvol')).body
  const healthy = async (via: ClusterNode, not?: string): Promise<Replica> => await waitFor(async () => {
    const v = await view(via)
    const r = v.replicas.find((x) => x.state === 'healthy' && x.node !== not)
    return r !== undefined && v.replicas.length === 1 ? r : undefined
  }, { timeoutMs: 120_000, intervalMs: 20, what: 'bvol healthy' })
  try {
    await waitForMembers(nodes[0]!, Object.fromEntries(nodes.map((n) => [n.name, 'alive'])), 30_000)
    const put = await api(nodes[0]!.api, 'PUT', '/v1/services/bvol', SERVICE)
    if (put.status !== 201) throw new Error(`PUT bvol: ${put.status} ${JSON.stringify(put.body)}`)
    const first = await healthy(nodes[0]!)
    docker(['exec', first.container, 'dd', 'if=/dev/urandom', 'of=/data/blob', 'bs=1M', `count=${MIB}`])
    // The baseline: the same bytes in a volume of their own.
    docker(['volume', 'rm', '-f', BASE_A])
    docker(['volume', 'create', BASE_A])
    docker(['run', '--rm', '--volumes-from', first.container, '-v', `${BASE_A}:/a`, IMAGE, 'busybox', 'cp', '-a', '/data/blob', '/a/blob'])
    const sum = docker(['exec', first.container, 'busybox', 'md5sum', '/data/blob']).split(' ')[0]
    const results: VolumeMoveRun[] = []
    for (let run = 0; run < runs; run++) {
      const tarMs = tarCopy()
      const { node: holder } = await healthy(nodes[0]!)
      const source = nodes.find((n) => n.name === holder)!
      const target = nodes.find((n) => n.name !== holder)!
      const copiesBefore = copyTimes(target).length
      const began = performance.now()
      const drained = await api(target.api, 'POST', `/v1/nodes/${holder}/drain`)
      if (drained.status !== 200) throw new Error(`drain ${holder}: ${drained.status}`)
      const moved = await healthy(target, holder)
      const totalMs = Math.round(performance.now() - began)
      const copyMs = await waitFor(() => copyTimes(target)[copiesBefore], { timeoutMs: 10_000, what: 'the copy\'s log line' })
      const after = docker(['exec', moved.container, 'busybox', 'md5sum', '/data/blob']).split(' ')[0]
      if (after !== sum) throw new Error(`run ${run + 1}: the moved volume's blob differs (${after} ≠ ${sum})`)
      results.push({ totalMs, copyMs, tarMs })
      progress(`volume move ${run + 1}/${runs} (${source.name} → ${moved.node}): total ${totalMs} ms, copy ${copyMs} ms, tar ${tarMs} ms`)
      const undrained = await api(target.api, 'POST', `/v1/nodes/${holder}/undrain`)
      if (undrained.status !== 200) throw new Error(`undrain ${holder}: ${undrained.status}`)
      // The next run starts once the old copy is gone and the node is back in the placement.
      await waitFor(() => docker(['volume', 'ls', '-q', '--filter', `label=meshd.node=${holder}`]) === '', { timeoutMs: 30_000, what: `${holder}'s old copy deleted` })
    }
    const totalMs = median(results.map((r) => r.totalMs))
    const copyMs = median(results.map((r) => r.copyMs))
    const tarMs = median(results.map((r) => r.tarMs))
    return { mib: MIB, runs: results, totalMs, copyMs, tarMs, totalOverTar: ratio(totalMs, tarMs), copyOverTar: ratio(copyMs, tarMs) }
  } finally {
    // BVOL_LOG=dir: each daemon's log there, to see where a move's time went.
    if (process.env.BVOL_LOG !== undefined) for (const n of nodes) writeFileSync(`${process.env.BVOL_LOG}/${n.name}.log`, n.output())
    await cleanup(nodes)
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchVolumeMove((line) => { process.stderr.write(`[bench] ${line}\n`) })
    .then((result) => { process.stdout.write(`${JSON.stringify(result, null, 2)}\n`) })
    .catch((err: Error) => { process.stderr.write(`${err.stack}\n`); process.exit(1) })
}
