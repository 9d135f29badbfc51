// Real meshd daemons as separate processes for integration tests, and the cleanup
// that removes them and their containers even when a test fails.

import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitFor } from './wait.ts'
export { waitFor } from './wait.ts'

export const BIN = fileURLToPath(new URL('../../bin/meshd.js', import.meta.url))
export const IMAGE = 'meshd/busybox:latest'
/** Where test daemons forward names outside meshd: nothing listens there. */
export const NO_RESOLVER = '127.0.0.1:1'

export interface TestDaemon {
  name: string
  host: string
  dataDir: string
  api: string
  child: ChildProcess
  output: () => string
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>
}

export interface DaemonOptions {
  name: string
  host: string
  dataDir?: string
  apiPort?: number
  env?: NodeJS.ProcessEnv
  args?: string[]
  /** Runs the daemon through this command prefix, e.g. ['ip', 'netns', 'exec', 'ns']. */
  prefix?: string[]
}

const started: TestDaemon[] = []
const dataDirs: string[] = []
/** API base URL → the admin token of the node behind it (its DATA_DIR/api.token). */
const tokens = new Map<string, string>()

/** The admin token a started daemon wrote to its data dir. */
export function tokenOf (daemon: { api: string }): string {
  const token = tokens.get(daemon.api)
  if (token === undefined) throw new Error(`no token known for ${daemon.api}: start it with startDaemon()`)
  return token
}

/** A fresh temporary data dir, removed by cleanupAll(). */
export function tempDataDir (prefix = 'meshd-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dataDirs.push(dir)
  return dir
}

/** Spawns `meshd start` without waiting for it. */
export function spawnDaemon (opts: DaemonOptions): TestDaemon {
  const dataDir = opts.dataDir ?? tempDataDir()
  const apiPort = opts.apiPort ?? 7700
  // Names outside meshd go to a resolver on loopback that is not there: tests never reach the world.
  const args = [BIN, 'start', '--name', opts.name, '--host', opts.host, '--data-dir', dataDir, '--api-port', String(apiPort), '--dns-forward', NO_RESOLVER, ...(opts.args ?? ['--no-mdns'])]
  const [command, ...prefix] = [...(opts.prefix ?? []), process.execPath]
  const child = spawn(command!, [...prefix, ...args], {
    env: { ...process.env, MESHD_LOG: process.env.MESHD_LOG ?? 'info', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code) }))
  const daemon: TestDaemon = { name: opts.name, host: opts.host, dataDir, api: `http://${opts.host}:${apiPort}`, child, output: () => output, exited }
  started.push(daemon)
  return daemon
}

/** Spawns `meshd start` and waits until its API answers. */
export async function startDaemon (opts: DaemonOptions): Promise<TestDaemon> {
  const daemon = spawnDaemon(opts)
  await waitFor(async () => {
    if (daemon.child.exitCode !== null) throw new Error(`daemon ${opts.name} exited (${daemon.child.exitCode}):\n${daemon.output()}`)
    const response = await fetch(`${daemon.api}/v1/health`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined)
    return response?.ok === true
  }, { timeoutMs: 20_000, what: `daemon ${opts.name} to answer` })
  tokens.set(daemon.api, readFileSync(join(daemon.dataDir, 'api.token'), 'utf8').trim())
  return daemon
}

/** Sends a signal and waits for the process to exit. */
export async function killDaemon (daemon: TestDaemon, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
  if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill(signal)
  return await daemon.exited
}

/**
 * Calls the API and returns status and parsed body; never throws on HTTP errors. The
 * node's admin token is sent unless `headers` has an authorization of its own ('' for none).
 */
export async function api<T = any> (base: string, method: string, path: string, body?: unknown, raw?: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number, body: T }> {
  const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body))
  const token = tokens.get(base)
  const auth: Record<string, string> = headers.authorization === undefined && token !== undefined ? { authorization: `Bearer ${token}` } : {}
  if (headers.authorization === '') delete headers.authorization
  const response = await fetch(`${base}${path}`, {
    method,
    headers: payload === undefined ? { ...auth, ...headers } : { 'content-type': 'application/json', ...auth, ...headers },
    body: payload,
    signal: AbortSignal.timeout(15_000)
  })
  const text = await response.text()
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T }
}

/** IDs of the containers labelled for a node (optionally one service), running or not. */
export function containersOf (node: string, service?: string): string[] {
  const filters = ['--filter', `label=meshd.node=${node}`, ...(service === undefined ? [] : ['--filter', `label=meshd.service=${service}`])]
  const out = execFileSync('docker', ['ps', '-aq', '--no-trunc', ...filters], { encoding: 'utf8' })
  return out.split('\n').filter((line) => line !== '').sort()
}

/** Removes a node's containers. */
export function removeContainersOf (node: string): void {
  const ids = containersOf(node)
  if (ids.length > 0) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' })
}

// Which test nodes cleanupAll sweeps: the nodes this file started, and with
// MESHD_TEST_SCOPE=PREFIX every node whose name starts with it (a sweep after a crash). The
// suite runs its integration files in two lanes at once (scripts/test.sh), so a file never
// touches another file's nodes.
const SCOPE = process.env.MESHD_TEST_SCOPE

/** Kills every daemon this file started, removes their containers, replica networks, volumes and data dirs. */
export async function cleanupAll (): Promise<void> {
  const daemons = started.splice(0)
  await Promise.all(daemons.map(async (daemon) => await killDaemon(daemon)))
  const ours = new Set(daemons.map((daemon) => daemon.name))
  const swept = (node: string | undefined): boolean => node !== undefined && node !== '' && (ours.has(node) || (SCOPE !== undefined && node.startsWith(SCOPE)))
  const nodes = execFileSync('docker', ['ps', '-a', '--filter', 'label=meshd.service', '--format', '{{.Label "meshd.node"}}'], { encoding: 'utf8' })
  for (const node of new Set(nodes.split('\n').filter(swept))) removeContainersOf(node)
  const networks = execFileSync('docker', ['network', 'ls', '--filter', 'label=meshd.network=replicas', '--format', '{{.ID}} {{.Label "meshd.node"}}'], { encoding: 'utf8' })
  const ids = networks.split('\n').flatMap((line) => swept(line.split(' ')[1]) ? [line.split(' ')[0] ?? ''] : [])
  try {
    if (ids.length > 0) execFileSync('docker', ['network', 'rm', ...ids], { stdio: 'ignore' })
  } catch {
    // One still held by a container is left to scripts/test.sh's cleanup; the rest are gone.
  }
  // Their replicas' volumes, once no replica or copy container (runtime/volumes.ts, named meshd-NODE-…) holds them.
  const copies = execFileSync('docker', ['ps', '-a', '--filter', 'label=meshd.volume-copy', '--format', '{{.ID}} {{.Names}}'], { encoding: 'utf8' })
    .split('\n').flatMap((line) => {
      const [id, name] = line.split(' ')
      return id !== undefined && id !== '' && [...ours, ...(SCOPE === undefined ? [] : [SCOPE])].some((node) => name?.startsWith(`meshd-${node}`) === true) ? [id] : []
    })
  if (copies.length > 0) execFileSync('docker', ['rm', '-f', ...copies], { stdio: 'ignore' })
  const volumes = execFileSync('docker', ['volume', 'ls', '--filter', 'label=meshd.node', '--format', '{{.Name}} {{.Label "meshd.node"}}'], { encoding: 'utf8' })
  for (const line of volumes.split('\n')) {
    const [name, node] = line.split(' ')
    if (name === undefined || !swept(node)) continue
    try {
      execFileSync('docker', ['volume', 'rm', '-f', name], { stdio: 'ignore' })
    } catch {
      // Still in use by a container being removed: scripts/test.sh's cleanup takes it.
    }
  }
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  tokens.clear()
}

/** GETs a URL on loopback and returns the body text. */
export async function httpGet (url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) })
  return await response.text()
}
