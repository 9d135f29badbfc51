// The failure detector's logic on a simulated clock: digests relayed between tables,
// signed beats, rogue relays, and this node's own stalls.

import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { FailureDetector } from '../../src/gossip/detector.ts'
import { Ed25519Verifier, beatPayload, ed25519Signer } from '../../src/gossip/beat-signature.ts'
import { decodeDigest, encodeDigest } from '../../src/gossip/digest.ts'
import { LocalHealth } from '../../src/gossip/local-health.ts'
import type { Beat } from '../../src/gossip/detector.ts'
import type { BeatVerifier } from '../../src/gossip/beat-signature.ts'

const SUSPECT = 1200
const DEAD = 2500
const HORIZON = 30_000

// Stand-in signatures for pure logic: a hash of the member id and the payload.
const mac = (id: string, payload: Uint8Array): Uint8Array => {
  const hash = createHash('sha256').update(id).update(payload).digest()
  return new Uint8Array(Buffer.concat([hash, hash]))
}
const verifier: BeatVerifier = { verify: (id, payload, signature) => Buffer.from(mac(id, payload)).equals(signature) }

function detector (self: string, options: { incarnation?: number, health?: LocalHealth, now?: number, relayable?: (id: string) => boolean } = {}): FailureDetector {
  return new FailureDetector({
    self, suspectMs: SUSPECT, deadMs: DEAD, incarnation: options.incarnation ?? 1, now: options.now ?? 0,
    signer: { sign: payload => mac(self, payload) }, verifier, offsetWindowMs: 60_000, health: options.health, relayable: options.relayable
  })
}

/** A beat of member `id` as the member itself would sign it. */
function signed (id: string, incarnation: number, seq: number, clock: number, age = 0): Beat {
  return { id, incarnation, seq, clock, age, signature: mac(id, beatPayload(incarnation, seq, clock)) }
}

describe('FailureDetector', () => {
  it('takes a member from alive to suspect to dead as its silence grows, and back on a beat', () => {
    const a = detector('a')
    const b = detector('b')
    b.beat(0)
    a.observe(b.digest(0, HORIZON), 'b', 0)
    expect(a.state('b', 0)).toBe('alive')
    expect(a.state('b', SUSPECT - 1)).toBe('alive')
    expect(a.state('b', SUSPECT)).toBe('suspect')
    expect(a.state('b', DEAD)).toBe('dead')
    b.beat(DEAD + 10)
    a.observe(b.digest(DEAD + 10, HORIZON), 'b', DEAD + 10)
    expect(a.state('b', DEAD + 10)).toBe('alive')
  })

  it('is always alive to itself and undefined for ids it never saw', () => {
    const a = detector('a')
    expect(a.state('a', 1e9)).toBe('alive')
    expect(a.state('zz', 0)).toBeUndefined()
  })

  it('gives a member known only from the document a suspect grace period, then dead', () => {
    const a = detector('a')
    a.notice('b', 100)
    expect(a.state('b', 100)).toBe('suspect')
    expect(a.state('b', 100 + DEAD - 1)).toBe('suspect')
    expect(a.state('b', 100 + DEAD)).toBe('dead')
    a.notice('a', 0)
    expect([...a.ids()]).toEqual(['b'])
  })

  it('dates a relayed beat from when it left its source: by the relay\'s age, or by its signed clock once the offset is known', () => {
    const a = detector('a')
    const relay = detector('r')
    const source = detector('s')
    source.beat(0)
    relay.observe(source.digest(0, HORIZON), 's', 0)
    // The relay passes it on 1 s later: its age says it is 1 s old.
    a.observe(relay.digest(1000, HORIZON), 'r', 1000)
    expect(a.state('s', SUSPECT - 1)).toBe('alive')
    expect(a.state('s', SUSPECT)).toBe('suspect')
    // Heard first-hand once (arriving 5 ms after it beat): a.s offset is 5 ms. A later
    // beat relayed with a lying age of 0 is still dated by its clock.
    source.beat(2000)
    a.observe(source.digest(2000, HORIZON), 's', 2005)
    source.beat(2250)
    relay.observe(source.digest(2250, HORIZON), 's', 2250)
    a.observe([{ ...relay.digest(3000, HORIZON).find(beat => beat.id === 's') as Beat, age: 0 }], 'r', 3000)
    expect(a.digest(3000, HORIZON).find(beat => beat.id === 's')).toMatchObject({ seq: 3, age: 745 })
  })

  it('keeps the earliest estimate of a counter and never lets a stale counter win', () => {
    const a = detector('a')
    a.observe([signed('s', 1, 5, 0, 0)], 'r1', 1000)
    a.observe([signed('s', 1, 5, 0, 400)], 'r2', 1100) // heard at 700
    expect(a.digest(1100, HORIZON).find(beat => beat.id === 's')?.age).toBe(400)
    a.observe([signed('s', 1, 4, 0, 0)], 'r3', 1200)
    expect(a.digest(1200, HORIZON).find(beat => beat.id === 's')).toMatchObject({ seq: 5, age: 500 })
  })

  it('takes a restart (higher incarnation) over any old counter, and a direct digest even with a lower one', () => {
    const a = detector('a')
    a.observe([signed('s', 10, 900, 0)], 's', 0)
    a.observe([signed('s', 20, 1, 0)], 'r', 3000)
    expect(a.state('s', 3000)).toBe('alive')
    // The member restarted with its clock set back: its own word counts.
    a.observe([signed('s', 5, 1, 0)], 's', 9000)
    expect(a.state('s', 9000)).toBe('alive')
    expect(a.digest(9000, HORIZON).find(beat => beat.id === 's')).toMatchObject({ incarnation: 5, seq: 1 })
  })

  it('leaves long-silent members out of digests and forgets them unless the document keeps them', () => {
    const a = detector('a')
    a.observe([signed('old', 1, 1, 0), signed('kept', 1, 1, 0)], 'x', 0)
    expect(a.digest(29_999, HORIZON).map(beat => beat.id)).toEqual(['a', 'old', 'kept'])
    expect(a.digest(30_000, HORIZON).map(beat => beat.id)).toEqual(['a'])
    a.forget(200_000, 120_000, new Set(['kept']))
    expect([...a.ids()]).toEqual(['kept'])
    expect(a.state('kept', 200_000)).toBe('dead')
  })

  it('believes no unsigned beat: a forged one is named, the digest dropped from there, the table untouched', () => {
    const a = detector('a')
    a.observe([signed('s', 1, 1, 0)], 's', 0)
    const forged = { ...signed('s', 1, 2, 100), signature: mac('rogue', beatPayload(1, 2, 100)) }
    expect(a.observe([signed('t', 1, 1, 0), forged, signed('u', 1, 1, 0)], 'rogue', 100)).toBe('s')
    expect([...a.ids()]).toEqual(['s', 't'])
    expect(a.digest(100, HORIZON).find(beat => beat.id === 's')?.seq).toBe(1)
    // A beat that is not news is not even checked: a relay repeating what we have costs nothing.
    expect(a.observe([{ ...signed('s', 1, 1, 0), signature: new Uint8Array(64) }], 'r', 200)).toBeUndefined()
  })

  it('takes relayed beats only of members it is told to, first-hand ones of anyone', () => {
    const a = detector('a', { relayable: id => id === 'member' })
    a.observe([signed('member', 1, 1, 0), signed('made-up', 1, 1, 0)], 'rogue', 0)
    expect([...a.ids()]).toEqual(['member'])
    a.observe([signed('newcomer', 1, 1, 0)], 'newcomer', 0)
    expect([...a.ids()]).toEqual(['member', 'newcomer'])
  })

  it('declares a stopped member dead on time whatever a rogue relays for it', () => {
    // Six members beat and push-pull with two random peers every 250 ms; m5 stops at
    // t = 5 s; the rogue relays to everyone, every 100 ms, forged ever-higher counters
    // for m5 and replays of m5's genuine last beat claiming age 0.
    const n = 6
    const stop = 5000
    const nodes = Array.from({ length: n }, (_, i) => detector(`m${i}`))
    let last: Beat | undefined
    let seed = 3
    const random = (): number => { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
    const deadAt = new Map<number, number>()
    let forgeries = 0
    for (let t = 0; t <= stop + 4000; t += 50) {
      if (t % 250 === 0) {
        for (let i = 0; i < n; i++) {
          if (i === 5 && t >= stop) continue
          const node = nodes[i] as FailureDetector
          node.beat(t)
          if (i === 5) last = node.digest(t, HORIZON)[0]
          for (let k = 0; k < 2; k++) {
            const j = Math.floor(random() * n)
            if (j === i || (j === 5 && t >= stop)) continue
            nodes[j]?.observe(node.digest(t, HORIZON), `m${i}`, t + 1)
            node.observe((nodes[j] as FailureDetector).digest(t + 1, HORIZON), `m${j}`, t + 2)
          }
        }
      }
      if (t >= stop && t % 100 === 0 && last !== undefined) {
        const forged = { ...last, seq: last.seq + t, clock: t, age: 0 }
        const replay = { ...last, age: 0 }
        for (let i = 0; i < 5; i++) {
          if (nodes[i]?.observe([forged], 'rogue', t) === 'm5') forgeries++
          nodes[i]?.observe([replay], 'rogue', t)
        }
      }
      for (let i = 0; i < 5; i++) {
        if (nodes[i]?.state('m5', t) === 'dead' && !deadAt.has(i)) deadAt.set(i, t)
      }
    }
    expect(forgeries).toBeGreaterThan(100)
    expect(deadAt.size).toBe(5)
    expect(Math.max(...deadAt.values())).toBeLessThanOrEqual(stop + DEAD + 300)
  })

  it('does not count its own stalls as a member\'s silence, and still sees a real crash in time', () => {
    const health = new LocalHealth({ toleranceMs: 20, windowMs: 5000, maxCreditMs: 10_000, retainMs: 30_000 })
    const a = detector('a', { health })
    a.observe([signed('b', 1, 1, 0)], 'b', 0)
    // a's loop is blocked from 500 to 2600: the check timer due at 550 fires at 2600.
    health.timer(550, 2600)
    expect(a.state('b', 2600)).toBe('alive') // 2.6 s silent, 2.05 s of it our own stall
    expect(a.state('b', 2600 + 600)).toBe('alive') // its digests still queued: the 2.05 s lag extends the deadline
    expect(a.state('b', 2600 + DEAD + 2050)).toBe('dead')
    // An unstarved node (jitter within tolerance) keeps the usual deadlines.
    const steady = new LocalHealth({ toleranceMs: 20, windowMs: 5000, maxCreditMs: 10_000, retainMs: 30_000 })
    const c = detector('c', { health: steady })
    c.observe([signed('b', 1, 1, 0)], 'b', 0)
    for (let t = 50; t <= DEAD; t += 50) steady.timer(t - 10, t)
    expect(c.state('b', SUSPECT)).toBe('suspect')
    expect(c.state('b', DEAD)).toBe('dead')
  })

  it('under CPU starvation blames nobody, yet still reaches a verdict on a real crash', () => {
    // a gets the CPU in slices 0.1-2.7 s apart: each slice its timers run late, it
    // evaluates, then reads what b sent meanwhile. b beats every 250 ms, then crashes.
    const run = (withHealth: boolean): { falseVerdicts: number, deadAfterCrash: number | undefined } => {
      const health = new LocalHealth({ toleranceMs: 20, windowMs: 1000, maxCreditMs: 10_000, retainMs: 30_000 })
      const a = detector('a', withHealth ? { health } : {})
      const b = detector('b')
      let seed = 5
      const random = (): number => { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
      const crash = 30_000
      let falseVerdicts = 0
      let deadAfterCrash: number | undefined
      let slice = 0
      let nextBeat = 0
      let queued: Beat[][] = []
      while (slice < crash + 30_000 && deadAfterCrash === undefined) {
        const gap = slice > 10_000 && slice < 10_500 ? 2700 : 100 + random() * 1400
        const next = slice + gap
        for (; nextBeat < next && nextBeat < crash; nextBeat += 250) { b.beat(nextBeat); queued.push(b.digest(nextBeat, HORIZON)) }
        health.timer(slice + 50, next)
        slice = next
        const state = a.state('b', slice)
        if (slice < crash && (state === 'suspect' || state === 'dead')) falseVerdicts++
        if (slice >= crash && state === 'dead') deadAfterCrash = slice - crash
        for (const digest of queued) a.observe(digest, 'b', slice)
        queued = []
      }
      return { falseVerdicts, deadAfterCrash }
    }
    const blind = run(false)
    const aware = run(true)
    console.log(`starved observer: ${blind.falseVerdicts} false verdicts without local health, ${aware.falseVerdicts} with it; a real crash seen ${Math.round(aware.deadAfterCrash ?? NaN)} ms after it happened`)
    expect(blind.falseVerdicts).toBeGreaterThan(0)
    expect(aware.falseVerdicts).toBe(0)
    expect(aware.deadAfterCrash).toBeDefined()
    // Starved, it judges slowly: its stalls are credited up to 10 s (MAX_STALL_CREDIT_MS).
    expect(aware.deadAfterCrash).toBeLessThan(10_000 + DEAD + 3000)
  })

  it('spreads beats by push-pull so nobody suspects a live member and all see a crash at about the same time', () => {
    // 32 simulated members, fanout 3, 250 ms periods; member 0 crashes at t = 10 s.
    const n = 32
    const crash = 10_000
    const nodes = Array.from({ length: n }, (_, i) => detector(`m${i}`))
    let seed = 7
    const random = (): number => { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
    const down = (i: number, t: number): boolean => i === 0 && t >= crash
    const deadAt = new Map<number, number>()
    for (let t = 0; t <= crash + 4000; t += 250) {
      for (let i = 0; i < n; i++) {
        const node = nodes[i] as FailureDetector
        if (down(i, t)) continue
        node.beat(t)
        for (let k = 0; k < 3; k++) {
          const j = Math.floor(random() * n)
          const peer = nodes[j] as FailureDetector
          if (j === i || down(j, t)) continue
          peer.observe(decodeDigest(encodeDigest(node.digest(t, HORIZON))), `m${i}`, t + 1)
          node.observe(decodeDigest(encodeDigest(peer.digest(t + 1, HORIZON))), `m${j}`, t + 2)
        }
      }
      for (let i = 1; i < n; i++) {
        const state = nodes[i]?.state('m0', t)
        if (t >= 1000 && t < crash) expect(state).toBe('alive')
        if (state === 'dead' && !deadAt.has(i)) deadAt.set(i, t)
      }
    }
    expect(deadAt.size).toBe(n - 1)
    // The last beat left before the crash, so nobody may call it dead before crash + DEAD - 250.
    expect(Math.min(...deadAt.values())).toBeGreaterThanOrEqual(crash + DEAD - 250)
    expect(Math.max(...deadAt.values())).toBeLessThanOrEqual(crash + DEAD + 250)
  })
})

describe('signed beats and their digest encoding', () => {
  it('round-trips', () => {
    const beats = [signed('12D3KooWabc', 1_700_000_000_123, 42, 1234.5), signed('ü', 1, 0, 0, 99_999)]
    expect(decodeDigest(encodeDigest(beats))).toEqual(beats)
  })

  it('rejects malformed input', () => {
    const bytes = encodeDigest([signed('abc', 1, 1, 1, 1)])
    expect(() => decodeDigest(bytes.subarray(0, bytes.byteLength - 1))).toThrow(/truncated/)
    expect(() => decodeDigest(Uint8Array.of(...bytes, 0))).toThrow(/trailing/)
    expect(() => decodeDigest(Uint8Array.of(1, 0, 0))).toThrow(/version 2/)
    expect(() => encodeDigest([{ ...signed('abc', 1, 1, 1), id: '' }])).toThrow(/1-255 bytes/)
  })

  it('signs with the node key and verifies with the key inside the peer id; anything else fails', async () => {
    const key = await generateKeyPair('Ed25519')
    const other = await generateKeyPair('Ed25519')
    const id = peerIdFromPrivateKey(key).toString()
    const payload = beatPayload(1_700_000_000_000, 7, 1234.5)
    const signature = ed25519Signer(key).sign(payload)
    const verify = new Ed25519Verifier()
    expect(verify.verify(id, payload, signature)).toBe(true)
    expect(await key.publicKey.verify(payload, signature)).toBe(true)
    expect(verify.verify(id, beatPayload(1_700_000_000_000, 8, 1234.5), signature)).toBe(false)
    expect(verify.verify(peerIdFromPrivateKey(other).toString(), payload, signature)).toBe(false)
    expect(verify.verify('not-a-peer-id', payload, signature)).toBe(false)
    expect(verify.verify(id, payload, signature.subarray(0, 63))).toBe(false)
  })
})
