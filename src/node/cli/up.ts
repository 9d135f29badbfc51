// `meshd up`: a whole local cluster in one command. Node i runs as its own process on
// 127.0.0.(10+i) with its own data dir; Ctrl-C stops them all and removes their
// containers (unless --keep).

import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, openSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { silentLogger } from '../../logger.ts'
import { loadOrCreateSecret, secretToToken } from '../../gossip/index.ts'
import { dockerRuntime } from '../runtime/index.ts'
import { ApiClient } from './client.ts'
import { tokenOf } from './connection.ts'
import { API_TOKEN_FILE } from '../datadir/index.ts'
import { waitForServices } from './progress.ts'

/** The entry point this process was started with (bin/meshd.js), bundled or not. */
const entryPoint = (): string => process.argv[1] ?? 'meshd'

export const DEMO_SERVICE = {
  name: 'web',
  image: 'meshd/busybox:latest',
  command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
  replicas: 3,
  ports: [{ published: 8080, target: 8080 }],
  health: { type: 'tcp', interval: '1s', timeout: '1s', retries: 3 }
}

interface UpFlags { nodes: string, dataDir: string, demo?: boolean, keep?: boolean }

interface LocalNode { name: string, host: string, api: string, dataDir: string, child: ChildProcess, log: string }

export function registerUpCommand (program: Command): void {
  program.command('up')
    .description('start a local cluster on 127.0.0.11, .12, … in one command; Ctrl-C stops it')
    .option('--nodes <n>', 'how many nodes', '3')
    .option('--data-dir <dir>', 'parent of the nodes\' data dirs', '.data/up')
    .option('--demo', 'also deploy a demo web service (busybox httpd, 3 replicas)')
    .option('--keep', 'leave the containers running on exit (the next `up` adopts them)')
    .action(async (flags: UpFlags) => {
      const count = Number(flags.nodes)
      if (!Number.isInteger(count) || count < 1 || count > 50) throw new Error(`--nodes: expected an integer between 1 and 50, got "${flags.nodes}"`)
      const parent = resolve(flags.dataDir)
      // Node 1 founds the cluster; the others join it with its secret.
      const token = secretToToken(await loadOrCreateSecret(join(parent, 'node-1')))
      const nodes = Array.from({ length: count }, (_, i) => startNode(i + 1, parent, token))
      const shutdown = once(async () => { await stopAll(nodes, flags.keep === true) })
      process.on('SIGINT', () => { void shutdown().then(() => process.exit(0)) })
      process.on('SIGTERM', () => { void shutdown().then(() => process.exit(0)) })
      try {
        for (const node of nodes) await waitForHealth(node)
        await waitForMembers(nodes)
        process.stdout.write(`meshd: ${count} node${count === 1 ? '' : 's'} up, one cluster\n`)
        for (const node of nodes) process.stdout.write(`  ${node.name}  API ${node.api}  log ${node.log}\n`)
        process.stdout.write(`Point the CLI at it (any node's API serves the whole cluster):\n  export MESHD_API=${nodes[0]!.api} MESHD_TOKEN="$(cat ${join(nodes[0]!.dataDir, API_TOKEN_FILE)})"\n`)
        if (flags.demo === true) await deployDemo(nodes)
        process.stdout.write('Press Ctrl-C to stop the cluster.\n')
      } catch (err) {
        await shutdown()
        throw err
      }
      await new Promise(() => {})
    })
}

function startNode (index: number, parent: string, secret: string): LocalNode {
  const name = `node-${index}`
  const host = `127.0.0.${10 + index}`
  const dataDir = join(parent, name)
  mkdirSync(dataDir, { recursive: true })
  const log = join(dataDir, 'meshd.log')
  const out = openSync(log, 'a')
  const joinArgs = index === 1 ? [] : ['--join', '127.0.0.11:7701']
  // The join token travels in the environment, never on a command line (ps shows those).
  const env = index === 1 ? process.env : { ...process.env, MESHD_SECRET: secret }
  const child = spawn(process.execPath, [entryPoint(), 'start', '--name', name, '--host', host, '--data-dir', dataDir, '--no-mdns', ...joinArgs], { stdio: ['ignore', out, out], env })
  return { name, host, api: `http://${host}:7700`, dataDir, child, log }
}

async function waitForHealth (node: LocalNode): Promise<void> {
  const client = clientOfNode(node)
  const deadline = Date.now() + 30_000
  for (;;) {
    if (node.child.exitCode !== null) throw new Error(`${node.name} exited with code ${node.child.exitCode}; see ${node.log}`)
    try {
      await client.get('/v1/health', { signal: AbortSignal.timeout(1000) })
      return
    } catch {
      if (Date.now() > deadline) throw new Error(`${node.name} did not answer on ${node.api} within 30 s; see ${node.log}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
}

async function waitForMembers (nodes: LocalNode[]): Promise<void> {
  const deadline = Date.now() + 30_000
  for (const node of nodes) {
    const client = clientOfNode(node)
    for (;;) {
      const members = await client.get<Array<{ state: string }>>('/v1/nodes')
      if (members.filter((m) => m.state === 'alive').length === nodes.length) break
      if (Date.now() > deadline) throw new Error(`${node.name} sees ${members.length} of ${nodes.length} members after 30 s; see ${node.log}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

async function deployDemo (nodes: LocalNode[]): Promise<void> {
  const first = nodes[0]
  if (first === undefined) return
  const client = clientOfNode(first)
  await client.put(`/v1/services/${DEMO_SERVICE.name}`, DEMO_SERVICE)
  process.stdout.write(`Deploying the demo service "${DEMO_SERVICE.name}":\n`)
  const [view] = await waitForServices(client, [DEMO_SERVICE.name], { timeoutMs: 120_000, out: process.stdout })
  // Every node's mesh has the replicas as endpoints a moment after they turn healthy.
  const deadline = Date.now() + 10_000
  for (const node of nodes) {
    const mesh = clientOfNode(node)
    for (;;) {
      const stats = await mesh.get<{ services: Array<{ service: string, endpoints: unknown[] }> }>('/v1/mesh')
      if ((stats.services.find((s) => s.service === DEMO_SERVICE.name)?.endpoints.length ?? 0) >= DEMO_SERVICE.replicas) break
      if (Date.now() > deadline) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  const published = DEMO_SERVICE.ports[0]!.published
  process.stdout.write(`The demo answers HTTP on port ${published} of every node, through the routing mesh:\n`)
  for (const node of nodes) process.stdout.write(`  curl http://${node.host}:${published}/   (${node.name}'s mesh, balanced over all replicas)\n`)
  process.stdout.write('and on each replica directly:\n')
  for (const replica of view?.replicas ?? []) process.stdout.write(`  curl http://${replica.endpoint}/   (${replica.node}, slot ${replica.slot})\n`)
}

async function stopAll (nodes: LocalNode[], keep: boolean): Promise<void> {
  process.stdout.write('\nStopping the cluster…\n')
  await Promise.all(nodes.map(async (node) => {
    if (node.child.exitCode !== null) return
    const exited = new Promise((resolve) => node.child.once('exit', resolve))
    node.child.kill('SIGTERM')
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))])
    if (node.child.exitCode === null) node.child.kill('SIGKILL')
  }))
  if (keep) return
  for (const node of nodes) {
    const runtime = dockerRuntime({ host: node.host, nodeName: node.name, log: silentLogger })
    const containers = await runtime.list().catch(() => [])
    await Promise.all(containers.map(async (c) => { await runtime.remove(c.id, { graceSeconds: 1 }).catch(() => {}) }))
    // The replica network goes with its replicas (its service addresses with its bridge).
    await runtime.removeNetwork().catch(() => {})
    await runtime.stop()
    if (containers.length > 0) process.stdout.write(`  ${node.name}: removed ${containers.length} container${containers.length === 1 ? '' : 's'}\n`)
  }
}

/** A client of one node's API with that node's own admin token (its hash reaches the others a moment later). */
function clientOfNode (node: LocalNode): ApiClient {
  return new ApiClient({ base: node.api, token: tokenOf({ dataDir: node.dataDir }) })
}

function once (fn: () => Promise<void>): () => Promise<void> {
  let promise: Promise<void> | undefined
  return async () => { promise ??= fn(); await promise }
}
