// Two nodes' alert drivers over two replicas of the document, linked by hand: the rule's
// coordinator fires once and resolves once; a new coordinator continues without sending
// again; a sender that dies after its claim is replaced; two nodes that both believed
// themselves coordinator post once, the claim the document kept.

import { afterEach, describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import type { NodeRecord } from '../../../src/crdt/index.ts'
import { AlertDriver } from '../../../src/node/alerts/index.ts'
import type { TrafficSample, WebhookPayload } from '../../../src/node/alerts/index.ts'
import { clusterView, coordinatorOf } from '../../../src/node/cluster/index.ts'
import { recordingLogger } from '../../support/logger.ts'
import { waitFor } from '../../support/wait.ts'
import { link } from '../../support/documents.ts'

const record = (name: string): NodeRecord => ({ name, host: '127.0.0.1', apiPort: 1, p2pPort: 2, labels: {}, draining: false, startedAt: 0 })
const posts: Array<{ by: string, status: string, fingerprints: string[] }> = []
const drivers: AlertDriver[] = []
const emitted: string[] = []
let now = 1_000_000

/** A node: its own document, its view (whom it believes dead), its driver. */
function member (id: string, traffic?: () => Promise<Map<string, TrafficSample[]>>) {
  const document = new ClusterDocument({ log: recordingLogger() })
  const dead = new Set<string>()
  const view = () => clusterView(document.snapshot(), id, (other) => dead.has(other) ? 'dead' : 'alive', now)
  const make = (): AlertDriver => new AlertDriver({
    document, view, rules: () => document.alerts(), states: () => document.alertStates(), log: recordingLogger(), externalURL: 'http://x',
    handoverMs: 0, settleMs: 30, now: () => now, ...(traffic === undefined ? {} : { traffic }),
    events: { emit: (event) => { emitted.push(`${id} ${event.kind}`) } },
    post: async (_url, body) => {
      const payload = body as WebhookPayload
      posts.push({ by: id, status: payload.status, fingerprints: payload.alerts.map((a) => a.fingerprint) })
      return { ok: true, attempts: 1 }
    }
  })
  const m = {
    id, document, dead, driver: make(),
    tick: async () => { await m.driver.tick() },
    /** A new driver on the same document: the node restarted with its data dir. */
    restart: () => { m.driver = make(); drivers.push(m.driver) }
  }
  drivers.push(m.driver)
  return m
}

/** Two members a and b of a cluster of a, b, c, with the rule `down: node.dead`; the first is the rule's coordinator. */
function cluster () {
  const [a, b] = [member('a'), member('b')]
  for (const id of ['a', 'b', 'c']) a.document.putNode(id, record(id))
  a.document.putAlert('down', { when: 'node.dead', notify: { webhook: 'http://127.0.0.1:9/' }, createdAt: 0, updatedAt: 0 })
  const cut = link(a.document, b.document)
  const first = coordinatorOf(clusterView(a.document.snapshot(), 'a', () => 'alive', now), 'alert:down') === 'a' ? a : b
  return { coordinator: first, other: first === a ? b : a, cut }
}

const settled = async (count: number): Promise<void> => { await waitFor(() => posts.length >= count ? true : undefined, { timeoutMs: 2000 }); await new Promise((resolve) => setTimeout(resolve, 100)) }

afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.stop()
  posts.length = 0
  emitted.length = 0
})

describe('the alert driver', () => {
  it('posts one firing and one resolved; a new coordinator sends neither again', async () => {
    const { coordinator: x, other: y } = cluster()
    for (const m of [x, y]) m.dead.add('c')
    await x.tick()
    await y.tick()
    await settled(1)
    expect(posts).toEqual([{ by: x.id, status: 'firing', fingerprints: [expect.any(String)] }])
    expect(y.document.alertStates().down?.notice?.phase).toBe('sent')

    // x dies: y coordinates now, and sees the firing already sent.
    await x.driver.stop()
    y.dead.add(x.id)
    for (let i = 0; i < 3; i++) { now += 2000; await y.tick() }
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(posts).toHaveLength(1)
    expect(y.document.alertStates().down?.instances).toEqual([{ labels: { node: x.id } }, { labels: { node: 'c' } }])

    // c and x back: x, the coordinator again, resolves, once.
    y.dead.clear()
    x.dead.clear()
    x.restart()
    now += 2000
    await y.tick()
    await x.tick()
    await settled(2)
    for (let i = 0; i < 3; i++) { now += 2000; await y.tick(); await x.tick() }
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(posts.map((p) => `${p.by} ${p.status}`)).toEqual([`${x.id} firing`, `${x.id} resolved`])
    // The resolved names every instance of the episode, the first one among them.
    expect(posts[1]!.fingerprints).toContain(posts[0]!.fingerprints[0])
    expect(emitted).toEqual([`${x.id} alert.firing`, `${x.id} alert.resolved`])
  })

  it('a coordinator change mid-send: the claimant that is alive posts, the new coordinator does not', async () => {
    const { coordinator: x, other: y } = cluster()
    for (const m of [x, y]) m.dead.add('c')
    await x.tick() // claimed; posted after the settle
    // Meanwhile y believes itself coordinator (it thinks x dead) but x is alive to y a moment later.
    y.dead.add(x.id)
    await new Promise((resolve) => setTimeout(resolve, 5))
    y.dead.delete(x.id)
    await y.tick()
    await settled(1)
    expect(posts.map((p) => p.by)).toEqual([x.id])
  })

  it('a sender that dies between its claim and its post: the next coordinator posts it, once', async () => {
    const { coordinator: x, other: y } = cluster()
    for (const m of [x, y]) m.dead.add('c')
    await x.tick()
    await x.driver.stop() // before the settle ends: never posted
    expect(y.document.alertStates().down?.notice).toMatchObject({ by: x.id, phase: 'sending' })
    y.dead.add(x.id)
    now += 2000
    await y.tick()
    await settled(1)
    now += 2000
    await y.tick()
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(posts.map((p) => `${p.by} ${p.status}`)).toEqual([`${y.id} firing`])
    expect(y.document.alertStates().down?.notice).toMatchObject({ by: y.id, phase: 'sent' })
  })

  it('two nodes that both believed themselves coordinator: one post, the claim the document kept', async () => {
    const { coordinator: x, other: y, cut } = cluster()
    cut()
    x.dead.add('c'); x.dead.add(y.id)
    y.dead.add('c'); y.dead.add(x.id)
    await x.tick()
    await y.tick()
    expect(x.document.alertStates().down?.notice?.by).toBe(x.id)
    expect(y.document.alertStates().down?.notice?.by).toBe(y.id)
    link(x.document, y.document) // within the settle: both see one claim
    x.dead.delete(y.id); y.dead.delete(x.id)
    const kept = x.document.alertStates().down?.notice?.by
    expect(y.document.alertStates().down?.notice?.by).toBe(kept)
    await settled(1)
    expect(posts.map((p) => p.by)).toEqual([kept])
    expect(emitted).toEqual([`${kept} alert.firing`]) // the claim that lost tells no one
  })

  it('service.errors: the failed connections of every member\'s mesh since the last pass, over all of them', async () => {
    let counters: Record<string, TrafficSample[]> = { a: [{ service: 'web', connections: 1000, errors: 40 }], b: [{ service: 'web', connections: 500, errors: 0 }] }
    const a = member('a', async () => new Map(Object.entries(counters)))
    a.document.putNode('a', record('a'))
    a.document.putAlert('errors', { when: 'service.errors > 2%', notify: { webhook: 'http://127.0.0.1:9/' }, createdAt: 0, updatedAt: 0 })
    await a.tick() // the first counters are the baseline: no rate yet
    // Since then: 100 connections at a (none failed), 100 at b (5 failed) → 2.5 %, though a alone saw 0 %.
    counters = { a: [{ service: 'web', connections: 1100, errors: 40 }], b: [{ service: 'web', connections: 600, errors: 5 }] }
    now += 2000
    await a.tick()
    await settled(1)
    expect(posts.map((p) => p.status)).toEqual(['firing'])
    // b did not answer this time: its last counters are kept, and a's 100 clean connections alone resolve it.
    counters = { a: [{ service: 'web', connections: 1200, errors: 40 }] }
    now += 2000
    await a.tick()
    await settled(2)
    expect(posts.map((p) => p.status)).toEqual(['firing', 'resolved'])
  })
})
