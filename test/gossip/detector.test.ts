// The failure detector's logic on a simulated clock: digests relayed between tables.

import { describe, expect, it } from 'vitest'
import { FailureDetector } from '../../src/gossip/detector.ts'
import { decodeDigest, encodeDigest } from '../../src/gossip/digest.ts'

const SUSPECT = 1200
const DEAD = 2500

function detector (self: string, incarnation = 1): FailureDetector {
  return new FailureDetector({ self, suspectMs: SUSPECT, deadMs: DEAD, incarnation })
}

describe('FailureDetector', () => {
  it('takes a member from alive to suspect to dead as its silence grows, and back on a beat', () => {
    const a = detector('a')
    const b = detector('b')
    b.beat()
    a.observe(b.digest(0, 30_000), 'b', 0)
    expect(a.state('b', 0)).toBe('alive')
    expect(a.state('b', SUSPECT - 1)).toBe('alive')
    expect(a.state('b', SUSPECT)).toBe('suspect')
    expect(a.state('b', DEAD)).toBe('dead')
    b.beat()
    a.observe(b.digest(DEAD + 10, 30_000), 'b', DEAD + 10)
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

  it('dates a relayed beat from when it left its source, not when it arrived', () => {
    const a = detector('a')
    const relay = detector('r')
    const source = detector('s')
    source.beat()
    relay.observe(source.digest(0, 30_000), 's', 0)
    // The relay passes it on 1 s later: its age says it is 1 s old.
    a.observe(relay.digest(1000, 30_000), 'r', 1000)
    expect(a.state('s', 1000 + SUSPECT - 1000 - 1)).toBe('alive')
    expect(a.state('s', SUSPECT)).toBe('suspect')
    expect(a.state('s', DEAD)).toBe('dead')
  })

  it('keeps the earliest estimate of a counter and never lets a stale counter win', () => {
    const a = detector('a')
    a.observe([{ id: 's', incarnation: 1, seq: 5, age: 0 }], 'r1', 1000)
    a.observe([{ id: 's', incarnation: 1, seq: 5, age: 400 }], 'r2', 1100) // heard at 700
    expect(a.digest(1100, 30_000).find(beat => beat.id === 's')?.age).toBe(400)
    a.observe([{ id: 's', incarnation: 1, seq: 4, age: 0 }], 'r3', 1200)
    expect(a.digest(1200, 30_000).find(beat => beat.id === 's')).toMatchObject({ seq: 5, age: 500 })
  })

  it('takes a restart (higher incarnation) over any old counter, and a direct digest even with a lower one', () => {
    const a = detector('a')
    a.observe([{ id: 's', incarnation: 10, seq: 900, age: 0 }], 's', 0)
    a.observe([{ id: 's', incarnation: 20, seq: 1, age: 0 }], 'r', 3000)
    expect(a.state('s', 3000)).toBe('alive')
    // The member restarted with its clock set back: its own word counts.
    a.observe([{ id: 's', incarnation: 5, seq: 1, age: 0 }], 's', 9000)
    expect(a.state('s', 9000)).toBe('alive')
    expect(a.digest(9000, 30_000).find(beat => beat.id === 's')).toMatchObject({ incarnation: 5, seq: 1 })
  })

  it('leaves long-silent members out of digests and forgets them unless the document keeps them', () => {
    const a = detector('a')
    a.observe([{ id: 'old', incarnation: 1, seq: 1, age: 0 }, { id: 'kept', incarnation: 1, seq: 1, age: 0 }], 'x', 0)
    expect(a.digest(29_999, 30_000).map(beat => beat.id)).toEqual(['a', 'old', 'kept'])
    expect(a.digest(30_000, 30_000).map(beat => beat.id)).toEqual(['a'])
    a.forget(200_000, 120_000, new Set(['kept']))
    expect([...a.ids()]).toEqual(['kept'])
    expect(a.state('kept', 200_000)).toBe('dead')
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
        node.beat()
        for (let k = 0; k < 3; k++) {
          const j = Math.floor(random() * n)
          const peer = nodes[j] as FailureDetector
          if (j === i || down(j, t)) continue
          peer.observe(decodeDigest(encodeDigest(node.digest(t, 30_000))), `m${i}`, t + 1)
          node.observe(decodeDigest(encodeDigest(peer.digest(t + 1, 30_000))), `m${j}`, t + 2)
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

describe('heartbeat digest encoding', () => {
  it('round-trips', () => {
    const beats = [{ id: '12D3KooWabc', incarnation: 1_700_000_000_123, seq: 42, age: 0 }, { id: 'ü', incarnation: 1, seq: 0, age: 99_999 }]
    expect(decodeDigest(encodeDigest(beats))).toEqual(beats)
  })

  it('rejects malformed input', () => {
    const bytes = encodeDigest([{ id: 'abc', incarnation: 1, seq: 1, age: 1 }])
    expect(() => decodeDigest(bytes.subarray(0, bytes.byteLength - 1))).toThrow(/truncated/)
    expect(() => decodeDigest(Uint8Array.of(...bytes, 0))).toThrow(/trailing/)
    expect(() => decodeDigest(Uint8Array.of(2, 0, 0))).toThrow(/version/)
    expect(() => encodeDigest([{ id: '', incarnation: 1, seq: 1, age: 1 }])).toThrow(/1-255 bytes/)
  })
})
