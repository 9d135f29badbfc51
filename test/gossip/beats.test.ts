// Beats that cannot be forged, end to end: a rogue member (cluster secret, its own
// key) keeps relaying beats for a member that stopped. Real nodes still declare that
// member dead on time, and refuse the rogue once it relays a forgery. Real libp2p over
// TCP on 127.0.0.74-.77.

import { afterEach, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createHost } from '../../src/gossip/host.ts'
import { FrameReader, encodeFrame } from '../../src/gossip/frames.ts'
import { decodeDigest, encodeDigest } from '../../src/gossip/digest.ts'
import { beatPayload, ed25519Signer } from '../../src/gossip/beat-signature.ts'
import { BEAT_PROTOCOL } from '../../src/gossip/constants.ts'
import type { Beat } from '../../src/gossip/detector.ts'
import type { Host } from '../../src/gossip/host.ts'
import type { Stream } from '@libp2p/interface'
import { TestCluster, waitFor } from './helpers.ts'
import type { TestNode } from './helpers.ts'
import { silent } from '../support/logger.ts'

const PORT = 46_310
const PUSH = 1

describe('beats a rogue member relays', () => {
  const cluster = new TestCluster()
  let rogue: Host | undefined
  afterEach(async () => {
    await rogue?.stop()
    rogue = undefined
    await cluster.stopAll()
  })

  it('do not keep a stopped member alive: replays change nothing, a forgery gets the rogue refused', async () => {
    const a = await cluster.add({ name: 'a', host: '127.0.0.74', port: PORT })
    const join = [`127.0.0.74:${PORT}`]
    const b = await cluster.add({ name: 'b', host: '127.0.0.75', port: PORT, join })
    const c = await cluster.add({ name: 'c', host: '127.0.0.76', port: PORT, join })
    const honest = [a, b]
    await waitFor('everyone alive everywhere', () => [a, b, c].every(node => node.gossip.members().every(member => member.state === 'alive')))

    // The rogue signs its own beats properly and learns c's genuine beats by pulling.
    const key = await generateKeyPair('Ed25519')
    const self = peerIdFromPrivateKey(key).toString()
    const sign = ed25519Signer(key)
    rogue = await createHost({ privateKey: key, host: '127.0.0.77', port: PORT, psk: cluster.psk, mdns: false, log: silent, refusing: () => false })
    await rogue.start()
    const links = new Map<TestNode, Stream>()
    let latest: Beat | undefined
    for (const node of [a, b, c]) {
      await rogue.dial(multiaddr(`/ip4/${node.host}/tcp/${node.port}/p2p/${node.gossip.id}`))
      const stream = await rogue.dialProtocol(peerIdFromString(node.gossip.id), BEAT_PROTOCOL)
      links.set(node, stream)
      if (node === c) {
        void (async () => {
          const frames = new FrameReader(stream, 1 << 20)
          for (let frame = await frames.next(); frame !== undefined; frame = await frames.next()) {
            latest = decodeDigest(frame.payload).find(beat => beat.id === c.gossip.id) ?? latest
          }
        })().catch(() => {})
      }
    }
    let seq = 0
    const push = (node: TestNode, relayed: Beat[]): void => {
      seq += 1
      const clock = performance.now()
      const own: Beat = { id: self, incarnation: 1, seq, clock, age: 0, signature: sign.sign(beatPayload(1, seq, clock)) }
      const link = links.get(node)
      if (link?.status === 'open') link.send(encodeFrame(PUSH, encodeDigest([own, ...relayed])))
    }
    // Pull c's beats (10 pushes a second, within the digest rate limit) until it stops.
    const pulling = setInterval(() => { push(c, []) }, 100)
    try {
      await waitFor('a genuine beat of c', () => latest !== undefined)
      const first = latest?.seq ?? 0
      await waitFor('c beat again', () => (latest?.seq ?? 0) > first)
    } finally {
      clearInterval(pulling)
    }
    await cluster.stop(c)
    const stopped = performance.now()
    const genuine = latest as Beat
    // For 1.2 s, replays of c's last genuine beat made to look fresh (age 0); then
    // beats of c with ever higher counters than c ever signed. Every 100 ms, to both.
    let forged = 0
    const relaying = setInterval(() => {
      const elapsed = performance.now() - stopped
      const beat = elapsed < 1200 ? { ...genuine, age: 0 } : { ...genuine, seq: genuine.seq + 1000 + ++forged, clock: genuine.clock + elapsed, age: 0 }
      for (const node of honest) push(node, [beat])
    }, 100)
    try {
      await waitFor('a second of replays', () => performance.now() - stopped > 1000)
      expect(honest.map(node => node.gossip.stats().limits.disconnected)).toEqual([0, 0]) // replays prove nothing
      await waitFor('c dead on a and b', () => honest.every(node => node.gossip.memberState(c.gossip.id) === 'dead'), 6000)
      console.log(`c dead on both honest nodes ${Math.round(performance.now() - stopped)} ms after it stopped, while a rogue relayed replays and forgeries of its beats`)
    } finally {
      clearInterval(relaying)
    }
    await waitFor('the rogue refused by a and b', () => honest.every(node => node.gossip.stats().limits.refused['forged-beat'] >= 1))
    for (const node of honest) {
      expect(node.log.warns.map(entry => entry.msg)).toContainEqual(expect.stringMatching(/\(forged-beat\): relayed a beat of \S+ whose signature does not verify/))
    }
    await waitFor('the rogue disconnected', () => honest.every(node => node.gossip.connections() === 1))
  })
})
