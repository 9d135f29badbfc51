// Several documents driven by random operations, updates delivered in random order
// with random drops and disconnects, then a full sync by state vectors: every
// document must end byte-identical (the approach of yjs' tests/testHelper.js).

import { describe, it, expect } from 'vitest'
import { ClusterDocument } from '../../src/crdt/index.ts'
import { nodeRecord, prng, recordingLogger, replicaRecord, rolloutRecord, serviceRecord } from './helpers.ts'
import type { RecordingLogger } from './helpers.ts'

const REMOTE = Symbol('remote')
const KEYS = ['a', 'b', 'c', 'd']

type Rng = ReturnType<typeof prng>

interface Peer {
  doc: ClusterDocument
  log: RecordingLogger
  inbox: Uint8Array[]
}

/** Local writes of peer `self`; with `owned`, only to keys that peer owns (the design's single writer). */
function randomWrite (rng: Rng, peers: Peer[], self: number, owned: boolean): void {
  const doc = peers[self]?.doc
  if (doc === undefined) return
  const key = owned ? `${KEYS[rng.int(KEYS.length)]}-${self}` : rng.pick(KEYS)
  const value = rng.int(3)
  const remove = rng.next() < 0.2
  switch (rng.int(4)) {
    case 0: remove ? doc.deleteService(key) : doc.putService(key, serviceRecord(key, value)); break
    case 1: remove ? doc.deleteNode(key) : doc.putNode(key, nodeRecord(key, value === 1)); break
    case 2: remove ? doc.deleteReplica(`n${self}`, key) : doc.putReplica(`n${owned ? self : rng.int(3)}`, key, replicaRecord(key, value)); break
    default: remove ? doc.deleteRollout(key) : doc.putRollout(key, rolloutRecord(value))
  }
}

function everything (doc: ClusterDocument): unknown {
  return { services: doc.services(), nodes: doc.nodes(), replicas: doc.replicas(), rollouts: doc.rollouts() }
}

function connect (rng: Rng, count: number, dropRate: number): Peer[] {
  const peers: Peer[] = Array.from({ length: count }, () => {
    const log = recordingLogger()
    return { doc: new ClusterDocument({ log }), log, inbox: [] }
  })
  peers.forEach((peer, i) => {
    // Like gossip: broadcast this node's own writes; updates applied from peers are not relayed.
    peer.doc.on('update', (update, origin) => {
      if (origin === REMOTE) return
      peers.forEach((other, j) => { if (j !== i && rng.next() >= dropRate) other.inbox.push(update) })
    })
    // The document logs (and survives) a throwing listener, so a wrong flag is recorded as a log error.
    peer.doc.on('change', change => { if (change.local !== (change.origin !== REMOTE)) throw new Error('wrong local flag') })
  })
  return peers
}

function sync (from: Peer, to: Peer): void {
  to.doc.applyUpdate(from.doc.encodeDiff(to.doc.encodeStateVector()), REMOTE)
}

/** Runs one seeded scenario: each peer's state before the final full sync, and the peers after it. */
function scenario (seed: number, owned: boolean): { peers: Peer[], beforeSync: unknown[] } {
  const rng = prng(seed)
  const peers = connect(rng, 2 + rng.int(3), rng.next() * 0.5)
  for (let step = 0; step < 60; step++) {
    const roll = rng.next()
    const self = rng.int(peers.length)
    const peer = peers[self] as Peer
    if (roll < 0.45) {
      randomWrite(rng, peers, self, owned)
    } else if (roll < 0.55) {
      peer.doc.transact(() => { for (let n = 1 + rng.int(3); n > 0; n--) randomWrite(rng, peers, self, owned) })
    } else if (roll < 0.85) {
      // Deliver one queued update, not necessarily the oldest.
      const [update] = peer.inbox.splice(rng.int(peer.inbox.length), 1)
      if (update !== undefined) peer.doc.applyUpdate(update, REMOTE)
    } else if (roll < 0.95) {
      sync(rng.pick(peers), peer) // anti-entropy with a random peer
    } else {
      peer.inbox.length = 0 // a disconnect loses whatever was in flight
    }
  }
  const beforeSync = peers.map(peer => everything(peer.doc))
  for (const to of peers) for (const from of peers) if (from !== to) sync(from, to)
  expect(peers.flatMap(peer => peer.log.errors), `seed ${seed}`).toEqual([])
  return { peers, beforeSync }
}

describe('cluster document convergence', () => {
  it('converges to identical state under random writes, delivery order, drops and disconnects', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const { peers } = scenario(seed, false)
      const [first, ...rest] = peers.map(peer => ({ state: peer.doc.encodeState(), plain: everything(peer.doc) }))
      for (const other of rest) {
        expect(other.plain, `seed ${seed}`).toEqual(first?.plain)
        expect(Buffer.from(other.state).equals(Buffer.from(first?.state ?? [])), `seed ${seed}`).toBe(true)
      }
    }
  })

  it('with one writer per entry, every document ends with each writer\'s last value', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const { peers, beforeSync } = scenario(seed, true)
      // Before the sync, each writer already holds the last value of its own entries
      // (nobody else writes them): their union is what everyone must end with.
      const expected = { services: {}, nodes: {}, replicas: [] as unknown[], rollouts: {} }
      beforeSync.forEach((state, i) => {
        const own = (key: string): boolean => key.endsWith(`-${i}`)
        const mine = state as { services: object, nodes: object, replicas: Array<{ nodeId: string }>, rollouts: object }
        Object.assign(expected.services, Object.fromEntries(Object.entries(mine.services).filter(([key]) => own(key))))
        Object.assign(expected.nodes, Object.fromEntries(Object.entries(mine.nodes).filter(([key]) => own(key))))
        Object.assign(expected.rollouts, Object.fromEntries(Object.entries(mine.rollouts).filter(([key]) => own(key))))
        expected.replicas.push(...mine.replicas.filter(entry => entry.nodeId === `n${i}`))
      })
      const sorted = (record: object): object => Object.fromEntries(Object.entries(record).sort(([a], [b]) => a < b ? -1 : 1))
      for (const peer of peers) {
        expect(everything(peer.doc), `seed ${seed}`).toEqual({
          services: sorted(expected.services),
          nodes: sorted(expected.nodes),
          replicas: expected.replicas,
          rollouts: sorted(expected.rollouts)
        })
      }
    }
  })
})
