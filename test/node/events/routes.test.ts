// GET /v1/events on real API servers of three "members" (no daemons): the token and
// the member ticket checked, the three histories merged in time order with member
// events deduplicated, live events from every member, an unreachable member reported
// within the timeout and re-subscribed when it comes back, and a reader that does not
// read cut off instead of buffered.

import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import { buildApi } from '../../../src/node/api/index.ts'
import { generateToken, hashToken, TokenIndex } from '../../../src/node/auth/index.ts'
import { clusterView } from '../../../src/node/cluster/index.ts'
import { EventBus, EventService, SseParser } from '../../../src/node/events/index.ts'
import type { MemberPeer, MeshEvent, SseFrame } from '../../../src/node/events/index.ts'
import { transferKeyOf } from '../../../src/node/transfer/index.ts'
import { silent } from '../../support/logger.ts'

// An address of this file's own, and ports below the ephemeral range: no other test's
// connection can be holding one of them (a random port on 127.0.0.1 once was: EADDRINUSE).
const HOST = '127.0.0.234'
const base = 19_400
const names = ['ev-1', 'ev-2', 'ev-3'] as const
const ports = [base, base + 1, base + 2, base + 3]
const key = transferKeyOf(new Uint8Array(32).fill(7))
const document = new ClusterDocument({ log: silent })
const tokens = new TokenIndex(document)
tokens.start()
const viewer = generateToken()
document.putToken('dash', { hash: hashToken(viewer), role: 'viewer', createdAt: 0, createdBy: 'test' })

let clock = 1_000_000
const buses = names.map((node) => new EventBus({ node, now: () => clock++ }))
const peers: MemberPeer[] = [...names.map((name, i) => ({ id: `id-${i}`, name, host: HOST, port: ports[i]! })), { id: 'id-x', name: 'ev-gone', host: HOST, port: ports[3]! }]
const apps: Array<FastifyInstance | undefined> = []
const services: EventService[] = []

function build (i: number): FastifyInstance {
  const service = services[i] ??= new EventService({
    bus: buses[i]!, key, self: `id-${i}`, log: silent, timeoutMs: 1500, resubscribeMs: 300,
    members: () => peers.filter((p) => p.id !== `id-${i}`)
  })
  return buildApi({
    host: HOST, port: ports[i]!, node: { id: `id-${i}`, name: names[i]! }, document, log: silent, tokens,
    view: () => clusterView(document.snapshot(), `id-${i}`, () => 'alive', Date.now()),
    front: { host: HOST, port: ports[i]!, hostNames: [], allowOrigins: [] }, events: service
  })
}

async function listen (i: number): Promise<void> {
  const app = build(i)
  await app.listen({ host: HOST, port: ports[i]! })
  apps[i] = app
}

/** Reads GET /v1/events of node `i` into frames until closed. */
function follow (i: number, query = ''): { frames: SseFrame[], events: () => MeshEvent[], close: () => void, done: Promise<void> } {
  const frames: SseFrame[] = []
  const abort = new AbortController()
  const done = (async () => {
    const res = await fetch(`http://${HOST}:${ports[i]}/v1/events${query}`, { headers: { authorization: `Bearer ${viewer}` }, signal: abort.signal })
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const parser = new SseParser()
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) frames.push(...parser.push(Buffer.from(chunk).toString('utf8')))
  })().catch(() => {})
  const events = (): MeshEvent[] => frames.filter((f) => f.event !== 'meshd.unreachable').map((f) => JSON.parse(f.data) as MeshEvent)
  return { frames, events, close: () => { abort.abort() }, done }
}

async function until (what: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('GET /v1/events across members', () => {
  beforeAll(async () => { for (let i = 0; i < 3; i++) await listen(i) })
  afterAll(async () => { for (const app of apps) await app?.close() })

  it('needs a token; the internal route needs a member ticket, not a token', async () => {
    expect((await fetch(`http://${HOST}:${ports[0]}/v1/events`)).status).toBe(401)
    expect((await fetch(`http://${HOST}:${ports[0]}/v1/events?since=soon`, { headers: { authorization: `Bearer ${viewer}` } })).status).toBe(400)
    const internal = `http://${HOST}:${ports[0]}/v1/internal/events`
    expect((await fetch(internal, { headers: { authorization: `Bearer ${viewer}` } })).status).toBe(401)
    expect((await fetch(internal, { headers: { 'x-meshd-transfer': 'forged.ticket' } })).status).toBe(401)
  })

  it('merges every member\'s history in time order, member events once, and an unreachable member reported', async () => {
    buses[1]!.emit({ kind: 'service.deployed', service: 'web', message: 'web deployed' })
    buses[0]!.emit({ kind: 'replica.started', service: 'web', slot: 0, message: 'web.0 started' })
    buses[2]!.emit({ kind: 'replica.started', service: 'web', slot: 1, message: 'web.1 started' })
    buses[0]!.emit({ kind: 'member.dead', member: 'ev-gone', incarnation: 5, message: 'ev-gone is dead' })
    buses[1]!.emit({ kind: 'member.dead', member: 'ev-gone', incarnation: 5, message: 'ev-gone is dead' })
    buses[2]!.emit({ kind: 'replica.failed', service: 'db', slot: 0, exitCode: 137, message: 'db.0 failed' })
    const stream = follow(0)
    await until(() => stream.frames.some((f) => f.event === 'meshd.unreachable'))
    expect(stream.events().map((e) => `${e.kind}@${e.node}`)).toEqual([
      'service.deployed@ev-2', 'replica.started@ev-1', 'replica.started@ev-3', 'member.dead@ev-1', 'replica.failed@ev-3'
    ])
    expect(stream.frames.filter((f) => f.event === 'meshd.unreachable').map((f) => JSON.parse(f.data))).toEqual([{ node: 'ev-gone' }])

    // Live, from any member, in arrival order.
    buses[2]!.emit({ kind: 'service.scaled', service: 'web', message: 'web scaled to 4' })
    buses[0]!.emit({ kind: 'member.alive', member: 'ev-gone', incarnation: 6, message: 'ev-gone is alive' })
    buses[1]!.emit({ kind: 'member.alive', member: 'ev-gone', incarnation: 6, message: 'ev-gone is alive' })
    await until(() => stream.events().length === 7)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(stream.events().slice(5).map((e) => `${e.kind}@${e.node}`).sort()).toEqual(['member.alive@ev-1', 'service.scaled@ev-3'])
    stream.close()
    await stream.done
  })

  it('filters by service and time on every member', async () => {
    const since = clock
    buses[1]!.emit({ kind: 'replica.healthy', service: 'db', slot: 0, message: 'db.0 healthy' })
    buses[2]!.emit({ kind: 'replica.healthy', service: 'web', slot: 1, message: 'web.1 healthy' })
    const stream = follow(0, `?service=db&since=${since}`)
    await until(() => stream.frames.some((f) => f.event === 'meshd.unreachable'))
    expect(stream.events().map((e) => `${e.kind}@${e.node}`)).toEqual(['replica.healthy@ev-2'])
    stream.close()
  })

  it('reports a member that goes away, and re-subscribes it when it comes back', async () => {
    const stream = follow(0)
    await until(() => stream.frames.some((f) => f.event === 'meshd.unreachable'))
    await apps[2]!.close()
    apps[2] = undefined
    await until(() => stream.frames.filter((f) => f.event === 'meshd.unreachable').some((f) => f.data.includes('ev-3')))
    buses[2]!.emit({ kind: 'replica.stopped', service: 'web', slot: 1, message: 'sent while away' })
    await listen(2)
    await until(() => stream.events().some((e) => e.message === 'sent while away'))
    buses[2]!.emit({ kind: 'replica.started', service: 'web', slot: 1, message: 'after return' })
    await until(() => stream.events().some((e) => e.message === 'after return'))
    // Nothing from before the outage twice.
    const keys = stream.events().map((e) => `${e.node}/${e.id}`)
    expect(new Set(keys).size).toBe(keys.length)
    stream.close()
  })

  it('counts the streams it serves, and forgets each once it closes', async () => {
    await until(() => services.every((s) => s.streams.readers === 0 && s.streams.members === 0))
    const stream = follow(0)
    await until(() => stream.frames.some((f) => f.event === 'meshd.unreachable'))
    expect(services.map((s) => s.streams)).toEqual([{ readers: 1, members: 0 }, { readers: 0, members: 1 }, { readers: 0, members: 1 }])
    stream.close()
    await until(() => services.every((s) => s.streams.readers === 0 && s.streams.members === 0))
  })

  it('cuts off a reader that does not read', async () => {
    await until(() => buses[0]!.listening === 0)
    const before = 0
    const socket = connect({ host: HOST, port: ports[0]! })
    socket.pause()
    socket.write(`GET /v1/events HTTP/1.1\r\nhost: ${HOST}:${ports[0]}\r\nauthorization: Bearer ${viewer}\r\n\r\n`)
    await until(() => buses[0]!.listening === before + 1)
    const closed = new Promise((resolve) => socket.once('close', resolve))
    const big = 'x'.repeat(16 * 1024)
    for (let i = 0; i < 2000 && buses[0]!.listening > before; i++) {
      buses[0]!.emit({ kind: 'replica.started', message: big })
      if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await until(() => buses[0]!.listening === before)
    socket.destroy()
    await closed
  })
})
