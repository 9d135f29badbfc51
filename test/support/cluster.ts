// A cluster of real daemons on 127.0.0.x for end-to-end tests: the first founds it,
// the others join it with its secret.

import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { api, BIN, startDaemon, tempDataDir, waitFor } from './daemon.ts'
import type { TestDaemon } from './daemon.ts'

export const P2P_PORT = 7701

export interface ClusterNode extends TestDaemon {
  /** Starts this node again with the same name, address and data dir. */
  restart: () => Promise<ClusterNode>
}

/** The join token of a node's data dir, via `meshd join-token`. */
export function secretOf (dataDir: string): string {
  const out = execFileSync(process.execPath, [BIN, 'join-token', '--data-dir', dataDir], { encoding: 'utf8' })
  return out.trim().split('\n').at(-1) ?? ''
}

/** Starts `hosts.length` nodes named `${prefix}-1…` on those hosts, all joined to the first; `extra(i)` adds options to node i (0-based). */
export async function startCluster (prefix: string, hosts: string[], extra: (index: number) => string[] = () => []): Promise<ClusterNode[]> {
  const [first, ...rest] = hosts
  if (first === undefined) return []
  const seed = await startNode(`${prefix}-1`, first, tempDataDir(), ['--no-mdns', ...extra(0)])
  // The join token travels in the environment, as the README says: never on a command line.
  const env = { MESHD_SECRET: secretOf(seed.dataDir) }
  const others = await Promise.all(rest.map(async (host, i) =>
    await startNode(`${prefix}-${i + 2}`, host, tempDataDir(), ['--no-mdns', '--join', `${first}:${P2P_PORT}`, ...extra(i + 1)], env)))
  return [seed, ...others]
}

async function startNode (name: string, host: string, dataDir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ClusterNode> {
  const daemon = await startDaemon({ name, host, dataDir, args, env })
  return { ...daemon, restart: async () => await startNode(name, host, dataDir, args, env) }
}

export interface Member { id: string, name: string, state: string }

/** The members a node lists, by name → state (a node not started here: give its data dir, for its token). */
export async function membersSeenBy (node: { api: string, dataDir?: string }): Promise<Record<string, string>> {
  const headers: Record<string, string> = node.dataDir === undefined ? {} : { authorization: `Bearer ${readFileSync(join(node.dataDir, 'api.token'), 'utf8').trim()}` }
  const { body } = await api<Member[]>(node.api, 'GET', '/v1/nodes', undefined, undefined, headers)
  return Object.fromEntries(body.map((m) => [m.name, m.state]))
}

/** Waits until `node` lists exactly `expected` (name → state). */
export async function waitForMembers (node: TestDaemon, expected: Record<string, string>, timeoutMs = 15_000): Promise<void> {
  await waitFor(async () => JSON.stringify(await membersSeenBy(node)) === JSON.stringify(sorted(expected)), {
    timeoutMs, intervalMs: 50, what: `${node.name} to list ${JSON.stringify(expected)}`
  })
}

/** The digest of a node's encoded document. */
export async function digestOf (node: TestDaemon): Promise<string> {
  return (await api<{ sha256: string }>(node.api, 'GET', '/v1/debug/document')).body.sha256
}

/** Waits until every node's document is byte-identical; returns the digest. */
export async function waitForIdenticalDocuments (nodes: TestDaemon[], timeoutMs = 15_000): Promise<string> {
  return await waitFor(async () => {
    const digests = await Promise.all(nodes.map(digestOf))
    return digests.every((d) => d === digests[0]) ? digests[0] : undefined
  }, { timeoutMs, intervalMs: 50, what: 'identical documents on every node' })
}

/** A spec that runs nothing (replicas 0): document traffic only. */
export function paperService (name: string, labels: Record<string, string> = {}): Record<string, unknown> {
  return { name, image: 'meshd/busybox:latest', replicas: 0, labels }
}

/** The p-th percentile of values (0–100). */
export function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0
}

function sorted (record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)))
}
