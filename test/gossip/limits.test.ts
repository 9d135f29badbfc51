// A rogue member (it holds the cluster secret) against a real node: crafted, oversize
// and flooding updates over gossip and sync, and too many sync streams. The node
// refuses, disconnects and names the reason once, applies nothing of it, and keeps
// working with its honest peer. Real libp2p over TCP on 127.0.0.71-.73.

import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createHost } from '../../src/gossip/host.ts'
import { FrameReader, writeFrame } from '../../src/gossip/frames.ts'
import { PEER_UPDATE_BURST, STATE_TOPIC, SYNC_CHUNK_BYTES, SYNC_PROTOCOL } from '../../src/gossip/constants.ts'
import type { Host } from '../../src/gossip/host.ts'
import { TestCluster, serviceRecord, sleep, waitFor } from './helpers.ts'
import type { TestNode } from './helpers.ts'
import { gcBomb } from './crafted.ts'
import { silent } from '../support/logger.ts'

const PORT = 46_300
const FRAME = { vector: 1, diff: 2, diffEnd: 3 } as const

describe('gossip limits against a rogue member', () => {
  const cluster = new TestCluster()
  let rogue: Host | undefined
  afterEach(async () => {
    await rogue?.stop()
    rogue = undefined
    await cluster.stopAll()
  })

  async function setUp (): Promise<{ victim: TestNode, honest: TestNode, rogue: Host }> {
    const victim = await cluster.add({ name: 'victim', host: '127.0.0.71', port: PORT })
    const honest = await cluster.add({ name: 'honest', host: '127.0.0.72', port: PORT, join: [`127.0.0.71:${PORT}`] })
    rogue = await createHost({ privateKey: await generateKeyPair('Ed25519'), host: '127.0.0.73', port: PORT, psk: cluster.psk, mdns: false, log: silent, refusing: () => false })
    await rogue.start()
    await rogue.dial(multiaddr(`/ip4/127.0.0.71/tcp/${PORT}/p2p/${victim.gossip.id}`))
    await waitFor('connected', () => victim.gossip.connections() === 2)
    return { victim, honest, rogue }
  }

  function refusals (node: TestNode): string[] {
    return node.log.warns.map(entry => entry.msg ?? '').filter(msg => msg.startsWith('peer disconnected and refused'))
  }

  async function stillWorks (victim: TestNode, honest: TestNode, name: string): Promise<void> {
    honest.document.putService(name, serviceRecord(name))
    await waitFor(`${name} on the victim`, () => victim.document.service(name) !== undefined)
  }

  async function exchange (host: Host, victim: TestNode, send: (stream: Parameters<typeof writeFrame>[0]) => Promise<void>): Promise<void> {
    const stream = await host.dialProtocol(peerIdFromString(victim.gossip.id), SYNC_PROTOCOL)
    const frames = new FrameReader(stream, 64 * 1024 * 1024)
    await writeFrame(stream, FRAME.vector, Y.encodeStateVector(new Y.Doc()))
    await frames.expect()
    for (let frame = await frames.expect(); frame.type !== FRAME.diffEnd; frame = await frames.expect()) { /* the victim's diff */ }
    await send(stream)
    await writeFrame(stream, FRAME.diffEnd, new Uint8Array(0))
  }

  it('refuses a 24-byte run-length bomb on gossip at once, disconnects its publisher and keeps working', async () => {
    const { victim, honest, rogue } = await setUp()
    await waitFor('the rogue sees the victim subscribed', () => rogue.services.pubsub.getSubscribers(STATE_TOPIC).some(peer => peer.toString() === victim.gossip.id))
    const start = performance.now()
    await rogue.services.pubsub.publish(STATE_TOPIC, gcBomb(100_000_000))
    await waitFor('the bomb refused', () => victim.gossip.stats().limits.refused.malformed === 1)
    const refusedMs = performance.now() - start
    console.log(`a 24-byte update announcing 10^8 structs refused ${Math.round(refusedMs)} ms after it was published`)
    await waitFor('the rogue disconnected', () => victim.gossip.connections() === 1)
    expect(Y.decodeStateVector(victim.document.encodeStateVector()).has(1)).toBe(false) // the bomb's client
    expect(refusals(victim)).toEqual([expect.stringMatching(/\(malformed\): an update that decodes to more than \d+ elements/)])
    await stillWorks(victim, honest, 'after-bomb')
    // Refused for a while: its dial is turned away.
    await rogue.dial(multiaddr(`/ip4/127.0.0.71/tcp/${PORT}/p2p/${victim.gossip.id}`)).catch(() => {})
    await sleep(300)
    expect(victim.gossip.connections()).toBe(1)
    expect(victim.gossip.stats().limits).toMatchObject({ disconnected: 1, refusing: 1 })
  })

  it('refuses a bomb and an oversize diff sent by sync, applying nothing of them', async () => {
    const { victim, honest, rogue: first } = await setUp()
    await exchange(first, victim, async stream => { await writeFrame(stream, FRAME.diff, gcBomb(10_000_000)) })
    await waitFor('the bomb refused', () => victim.gossip.stats().limits.refused.malformed === 1)
    expect(Y.decodeStateVector(victim.document.encodeStateVector()).has(1)).toBe(false) // the bomb's client
    await stillWorks(victim, honest, 'after-sync-bomb')

    // A second rogue identity sends 4.25 MiB of diff.
    await first.stop()
    rogue = await createHost({ privateKey: await generateKeyPair('Ed25519'), host: '127.0.0.73', port: PORT + 1, psk: cluster.psk, mdns: false, log: silent, refusing: () => false })
    await rogue.start()
    await rogue.dial(multiaddr(`/ip4/127.0.0.71/tcp/${PORT}/p2p/${victim.gossip.id}`))
    await exchange(rogue, victim, async stream => {
      for (let i = 0; i < 17; i++) await writeFrame(stream, FRAME.diff, new Uint8Array(SYNC_CHUNK_BYTES))
    }).catch(() => {}) // the victim resets the stream mid-diff
    await waitFor('the oversize diff refused', () => victim.gossip.stats().limits.refused.oversize === 1)
    expect(refusals(victim)).toHaveLength(2)
    expect(refusals(victim)[1]).toMatch(/\(oversize\): a sync diff over 4194304 bytes/)
    await stillWorks(victim, honest, 'after-oversize')
  })

  it('refuses a peer flooding updates beyond its rate, and only that peer', async () => {
    const { victim, honest, rogue } = await setUp()
    await waitFor('the rogue sees the victim subscribed', () => rogue.services.pubsub.getSubscribers(STATE_TOPIC).some(peer => peer.toString() === victim.gossip.id))
    const doc = new Y.Doc()
    const updates: Uint8Array[] = []
    doc.on('updateV2', (update: Uint8Array) => { updates.push(update) })
    // Far beyond the burst: the bucket refills at PEER_UPDATE_RATE a second while a loaded
    // machine publishes, and the flood must outrun that.
    for (let i = 0; i < PEER_UPDATE_BURST + 2000; i++) doc.getMap('services').set(`flood-${i}`, serviceRecord(`flood-${i}`))
    for (const update of updates) await rogue.services.pubsub.publish(STATE_TOPIC, update).catch(() => {})
    await waitFor('the flood refused', () => victim.gossip.stats().limits.refused.flood > 0)
    await waitFor('the rogue disconnected', () => victim.gossip.connections() === 1)
    const applied = Object.keys(victim.document.services()).filter(name => name.startsWith('flood-')).length
    console.log(`flood: ${applied} of ${updates.length} updates applied before the limit, ${victim.gossip.stats().limits.refused.flood} refused`)
    expect(applied).toBeGreaterThan(PEER_UPDATE_BURST - 50)
    expect(applied).toBeLessThan(updates.length)
    expect(refusals(victim)).toHaveLength(1)
    // The honest peer, and the victim's own writes, are not affected.
    expect(honest.gossip.stats().limits.disconnected).toBe(0)
    await stillWorks(victim, honest, 'after-flood')
  })

  it('never refuses an honest node writing a burst of thousands of updates: it paces and merges its own', async () => {
    const { victim, honest } = await setUp()
    await waitFor('gossip between the honest nodes', () => {
      honest.document.putService('probe', serviceRecord('probe', { AT: String(performance.now()) }))
      return victim.gossip.stats().replication.received > 0
    })
    const start = performance.now()
    for (let i = 0; i < 2000; i++) honest.document.putService(`burst-${i}`, serviceRecord(`burst-${i}`))
    await waitFor('the whole burst on the victim', () => victim.document.service('burst-1999') !== undefined, 20_000)
    const stats = honest.gossip.stats().replication
    console.log(`2000 writes in a burst reached the peer in ${Math.round(performance.now() - start)} ms as ${stats.published} gossip messages`)
    expect(victim.gossip.stats().limits.disconnected).toBe(0)
    expect(Object.keys(victim.document.services()).filter(name => name.startsWith('burst-'))).toHaveLength(2000)
    expect(stats.published).toBeLessThan(2000)
  })

  it('resets a third sync stream a peer holds open, without disconnecting it', async () => {
    const { victim, rogue } = await setUp()
    const open = await Promise.all([1, 2].map(async () => await rogue.dialProtocol(peerIdFromString(victim.gossip.id), SYNC_PROTOCOL)))
    const third = await rogue.dialProtocol(peerIdFromString(victim.gossip.id), SYNC_PROTOCOL)
    await waitFor('the third stream reset', () => victim.gossip.stats().limits.resetStreams === 1)
    await waitFor('the third stream closed on the rogue', () => third.status !== 'open')
    expect(open.every(stream => stream.status === 'open')).toBe(true)
    expect(victim.gossip.stats().limits.disconnected).toBe(0)
    expect(victim.gossip.connections()).toBe(2)
    for (const stream of open) stream.abort(new Error('done'))
  })
})
