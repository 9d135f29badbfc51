import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { ClusterLogs } from '../../../src/node/logs/cluster.ts'
import type { LogTransfer } from '../../../src/node/logs/cluster.ts'
import type { ClusterView } from '../../../src/node/cluster/index.ts'
import type { ContainerInfo, Runtime } from '../../../src/node/runtime/index.ts'
import type { TransferPeer } from '../../../src/node/transfer/index.ts'
import { silent } from '../../support/logger.ts'
import { frame } from './docker-frames.ts'

/** A node's engine with one replica of web whose history is `lines`; a followed log stays open until aborted. */
function runtimeOf (node: string, slot: number, lines: string[]): Pick<Runtime, 'list' | 'logs'> {
  const replica: ContainerInfo = { id: `${node}-c`, name: `${node}-c`, service: 'web', slot, generation: 1, node, state: 'running', ports: [] }
  return {
    list: async () => [replica],
    logs: async (_id, opts) => {
      if (!opts.follow) return { tty: false, stream: Readable.from(lines.map((text) => frame(1, `${text}\n`))) }
      const open = new PassThrough()
      opts.signal?.addEventListener('abort', () => { open.destroy() })
      return { tty: false, stream: open }
    }
  }
}

const NODES = { a: 'node-a', b: 'node-b', c: 'node-c', d: 'node-d', e: 'node-e' }

function view (self: string, states: Record<string, string> = { a: 'alive', b: 'alive', c: 'alive', d: 'dead', e: 'alive' }, started: Record<string, number> = {}): ClusterView {
  const nodes = Object.fromEntries(Object.entries(NODES).map(([id, name]) => [id, { name, host: `127.0.0.${id.charCodeAt(0)}`, apiPort: 7700, startedAt: started[id] ?? 1 }]))
  return { nodes, states, self } as unknown as ClusterView
}

/** The transfer channel between nodes in this process: b answers, c refuses, e never answers, d is dead. */
function network (): { transferOf: (self: string) => LogTransfer, peers: TransferPeer[] } {
  const servers = new Map<string, (resource: string, from: string) => Promise<Readable | undefined>>()
  const peers: TransferPeer[] = []
  return {
    peers,
    transferOf: (self) => ({
      serve: (_kind, open) => { servers.set(self, open) },
      pull: async (peer, resource, options) => {
        peers.push(peer)
        if (peer.name === 'node-c') throw new Error('transfer of x from node-c: refused', { cause: new Error('connect ECONNREFUSED') })
        if (peer.name === 'node-e') return await new Promise((_resolve, reject) => { options?.signal?.addEventListener('abort', () => { reject(new Error('aborted')) }) })
        const id = Object.entries(NODES).find(([, name]) => name === peer.name)?.[0] ?? ''
        const body = await servers.get(id)?.(resource, self)
        if (body === undefined) throw new Error('404')
        return body
      }
    })
  }
}

async function text (stream: Readable): Promise<string> {
  let out = ''
  for await (const chunk of stream) out += String(chunk)
  return out
}

describe('ClusterLogs', () => {
  it('merges its own replicas with the members\' in time order, and names those that failed, did not answer or are dead', async () => {
    const net = network()
    const T = (s: number): string => `2026-12-03T11:00:0${s}.000000000Z`
    const a = new ClusterLogs({ self: 'a', view: () => view('a'), transfer: net.transferOf('a'), tls: false, runtime: runtimeOf('node-a', 0, [`${T(1)} a1`, `${T(4)} a4`]), log: silent, deadlineMs: 200 })
    void new ClusterLogs({ self: 'b', view: () => view('b'), transfer: net.transferOf('b'), tls: false, runtime: runtimeOf('node-b', 1, [`${T(2)} b2`, `${T(3)} b3`]), log: silent })
    const started = Date.now()
    const lines = (await text(a.stream('web', { follow: false, timestamps: false, tail: 5 }))).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(Date.now() - started).toBeLessThan(2000)
    expect(lines.slice(0, -1)).toEqual([
      { service: 'web', slot: 0, node: 'node-a', stream: 'stdout', line: 'a1' },
      { service: 'web', slot: 1, node: 'node-b', stream: 'stdout', line: 'b2' },
      { service: 'web', slot: 1, node: 'node-b', stream: 'stdout', line: 'b3' },
      { service: 'web', slot: 0, node: 'node-a', stream: 'stdout', line: 'a4' }
    ])
    const last = lines.at(-1) as { unreachable: string[], reasons: Record<string, string> }
    expect(new Set(last.unreachable)).toEqual(new Set(['node-c', 'node-d', 'node-e']))
    expect(last.reasons).toEqual({ 'node-c': 'connect ECONNREFUSED', 'node-d': 'the failure detector says it is dead', 'node-e': 'no answer within 0.2 s' })
    // The dead member was not asked; the others were, as a member, for the resource of the query.
    expect(net.peers.map((peer) => peer.name).sort()).toEqual(['node-b', 'node-c', 'node-e'])
  })

  it('serves a member only resources that are logs', async () => {
    const net = network()
    void new ClusterLogs({ self: 'b', view: () => view('b'), transfer: net.transferOf('b'), tls: false, runtime: runtimeOf('node-b', 1, []), log: silent })
    await expect(net.transferOf('a').pull({ host: 'x', port: 1, name: 'node-b' }, 'logs/web/2/5/0')).rejects.toThrow('404')
  })

  it('following: a member dead at the start is asked once it is alive, for its lines since; one lost while alive is not asked again', async () => {
    const net = network()
    const states: Record<string, string> = { a: 'alive', b: 'alive', c: 'alive', d: 'dead', e: 'alive' }
    const a = new ClusterLogs({ self: 'a', view: () => view('a', states), transfer: net.transferOf('a'), tls: false, runtime: runtimeOf('node-a', 0, []), log: silent, deadlineMs: 200, rejoinMs: 20, holdMs: 20 })
    void new ClusterLogs({ self: 'b', view: () => view('b', states), transfer: net.transferOf('b'), tls: false, runtime: runtimeOf('node-b', 1, []), log: silent })
    void new ClusterLogs({ self: 'd', view: () => view('d', states), transfer: net.transferOf('d'), tls: false, runtime: runtimeOf('node-d', 3, ['2026-12-03T11:00:09.000000000Z d9']), log: silent })
    const stream = a.stream('web', { follow: true, timestamps: true, tail: 0 })
    const seen: string[] = []
    stream.on('data', (chunk: Buffer) => { seen.push(...String(chunk).split('\n').filter((line) => line !== '')) })
    await waitUntil(() => seen.some((line) => line.includes('unreachable')))
    expect(JSON.parse(seen[0]!).unreachable.sort()).toEqual(['node-c', 'node-d', 'node-e'])
    states.d = 'alive'
    await waitUntil(() => seen.some((line) => line.includes('d9')))
    expect(JSON.parse(seen.find((line) => line.includes('d9'))!)).toMatchObject({ node: 'node-d', slot: 3, line: 'd9' })
    // d was asked for its lines since it was found dead; c and e (lost while alive) once each.
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(net.peers.filter((peer) => peer.name === 'node-c')).toHaveLength(1)
    expect(net.peers.filter((peer) => peer.name === 'node-e')).toHaveLength(1)
    expect(net.peers.filter((peer) => peer.name === 'node-d')).toHaveLength(1)
    stream.destroy()
  })

  it('following: a member lost while alive is asked again once it has restarted, even if never seen down', async () => {
    const net = network()
    const states: Record<string, string> = { a: 'alive', b: 'alive', c: 'alive', d: 'dead', e: 'alive' }
    const started: Record<string, number> = {}
    const a = new ClusterLogs({ self: 'a', view: () => view('a', states, started), transfer: net.transferOf('a'), tls: false, runtime: runtimeOf('node-a', 0, []), log: silent, deadlineMs: 200, rejoinMs: 20, holdMs: 20 })
    const stream = a.stream('web', { follow: true, timestamps: true, tail: 0 })
    stream.resume()
    await waitUntil(() => net.peers.some((peer) => peer.name === 'node-c'))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(net.peers.filter((peer) => peer.name === 'node-c')).toHaveLength(1)
    started.c = 2
    await waitUntil(() => net.peers.filter((peer) => peer.name === 'node-c').length === 2)
    await new Promise((resolve) => setTimeout(resolve, 100))
    // Refused again: not asked a third time until it restarts once more.
    expect(net.peers.filter((peer) => peer.name === 'node-c')).toHaveLength(2)
    stream.destroy()
  })
})

async function waitUntil (check: () => boolean): Promise<void> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > 5000) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
