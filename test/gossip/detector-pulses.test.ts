// The failure detector's pulse(): beats members send by datagram from their pulse
// worker, on a simulated clock. A datagram can be replayed or held back, so only news
// counts, dated by its signed clock. (detector.test.ts has the rest of the detector.)

import { describe, expect, it } from 'vitest'
import { FailureDetector } from '../../src/gossip/detector.ts'
import type { Beat } from '../../src/gossip/detector.ts'

const SUSPECT = 1200
const DEAD = 2500
const HORIZON = 30_000

// pulse() takes signatures the worker checked: any bytes do here.
const unsigned = { sign: () => new Uint8Array(64) }

type Options = Pick<ConstructorParameters<typeof FailureDetector>[0], 'relayable' | 'nextSeq' | 'pulsed'>

function detector (options: Options = {}): FailureDetector {
  return new FailureDetector({
    self: 'a', suspectMs: SUSPECT, deadMs: DEAD, incarnation: 1, now: 0, offsetWindowMs: 60_000,
    signer: unsigned, verifier: { verify: () => true }, ...options
  })
}

function pulse (seq: number, clock: number): Omit<Beat, 'age'> {
  return { id: 's', incarnation: 1, seq, clock, signature: new Uint8Array(64) }
}

describe('FailureDetector.pulse', () => {
  it('takes a pulse that is news as first-hand: alive from when it arrived, and relayed in digests', () => {
    const a = detector()
    a.notice('s', 0)
    a.pulse(pulse(1, 0), 5)
    expect(a.state('s', 5 + SUSPECT - 1)).toBe('alive')
    expect(a.state('s', 5 + SUSPECT)).toBe('suspect')
    expect(a.digest(5, HORIZON).find(beat => beat.id === 's')).toMatchObject({ seq: 1, clock: 0, age: 0 })
  })

  it('takes no replay and no older counter: they prove nothing', () => {
    const a = detector()
    a.pulse(pulse(5, 0), 5)
    a.pulse(pulse(5, 0), 2000)
    a.pulse(pulse(4, 1900), 2000)
    expect(a.state('s', 2000)).toBe('suspect')
    expect(a.state('s', 5 + DEAD)).toBe('dead')
    expect(a.digest(2000, HORIZON).find(beat => beat.id === 's')).toMatchObject({ seq: 5 })
  })

  it('dates a held-back pulse by its signed clock, with the offset learnt from prompt ones', () => {
    const a = detector()
    a.pulse(pulse(1, 0), 5)
    a.pulse(pulse(2, 250), 256)
    // Sent at 500 (in the member's clock), delivered 1.9 s late: alive as of 505 only.
    a.pulse(pulse(3, 500), 2400)
    expect(a.state('s', 2400)).toBe('suspect')
    expect(a.state('s', 505 + DEAD)).toBe('dead')
    expect(a.digest(2400, HORIZON).find(beat => beat.id === 's')).toMatchObject({ seq: 3, age: 1895 })
  })

  it('takes pulses only of members, and none of itself', () => {
    const a = detector({ relayable: id => id === 'm' })
    a.pulse(pulse(1, 0), 5)
    a.pulse({ ...pulse(1, 0), id: 'a' }, 5)
    expect(a.state('s', 5)).toBeUndefined()
    expect([...a.ids()]).toEqual([])
  })

  it('carries its latest pulse as its own beat, and signs one from the shared sequence when there is none newer', () => {
    let shared = 0
    let latest: { seq: number, clock: number, signature: Uint8Array } | undefined
    const a = detector({ nextSeq: () => (shared += 1), pulsed: () => latest })
    a.beat(10)
    expect(a.digest(10, HORIZON)[0]).toMatchObject({ id: 'a', seq: 1, clock: 10 })
    latest = { seq: (shared += 1), clock: 15, signature: new Uint8Array(64).fill(9) }
    a.beat(20)
    expect(a.digest(20, HORIZON)[0]).toMatchObject({ id: 'a', seq: 2, clock: 15, signature: latest.signature })
    // The same pulse again is no newer: a beat of its own.
    a.beat(30)
    expect(a.digest(30, HORIZON)[0]).toMatchObject({ id: 'a', seq: 3, clock: 30 })
  })
})
