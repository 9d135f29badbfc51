import { describe, expect, it } from 'vitest'
import { PeerFault } from '../../src/gossip/fault.ts'
import { PeerGuard, updateCost } from '../../src/gossip/peer-guard.ts'
import { MAX_UPDATE_BYTES, MAX_UPDATE_ELEMENTS, PEER_UPDATE_BURST, PEER_UPDATE_RATE } from '../../src/gossip/constants.ts'
import { messages, recordingLogger } from '../support/logger.ts'

function guard (clock: { t: number }, stalled: (since: number, now: number) => number = () => 0): { guard: PeerGuard, hungUp: string[], log: ReturnType<typeof recordingLogger> } {
  const hungUp: string[] = []
  const log = recordingLogger()
  return { guard: new PeerGuard({ log, hangUp: peer => { hungUp.push(peer) }, stalled, now: () => clock.t, refuseMs: 30_000 }), hungUp, log }
}

describe('PeerGuard', () => {
  it('prices updates by count, elements and bytes, so three maximal updates fit in a burst', () => {
    expect(updateCost(150, 2)).toBe(1)
    expect(updateCost(1024 * 1024, 200)).toBe(17)
    const maximal = updateCost(MAX_UPDATE_BYTES, MAX_UPDATE_ELEMENTS)
    expect(maximal).toBe(193)
    expect(3 * maximal).toBeLessThanOrEqual(PEER_UPDATE_BURST)
  })

  it('admits a burst and the sustained rate per peer, each peer on its own', () => {
    const clock = { t: 0 }
    const { guard: g } = guard(clock)
    let admitted = 0
    while (g.admitUpdate('a', 1)) admitted++
    expect(admitted).toBe(PEER_UPDATE_BURST)
    expect(g.admitUpdate('b', 1)).toBe(true)
    clock.t = 1000
    admitted = 0
    while (g.admitUpdate('a', 1)) admitted++
    expect(admitted).toBe(PEER_UPDATE_RATE)
  })

  it('absorbs what queued up while this node stalled', () => {
    const clock = { t: 0 }
    const { guard: g } = guard(clock, (since, now) => now - since)
    expect(g.admitUpdate('a', PEER_UPDATE_BURST)).toBe(true)
    clock.t = 20_000
    // 20 s of stall: a whole 20 s of the sustained rate arrives at once, beyond the burst.
    expect(g.admitUpdate('a', 20 * PEER_UPDATE_RATE)).toBe(true)
  })

  it('refuses a peer for a while, hangs up once, warns once with the reason, counts every fault', () => {
    const clock = { t: 0 }
    const { guard: g, hungUp, log } = guard(clock)
    g.refuse('rogue', new PeerFault('malformed', 'a malformed update: unknown content ref 11'))
    g.refuse('rogue', new PeerFault('flood', 'too many updates'))
    expect(hungUp).toEqual(['rogue'])
    expect(messages(log.entries, 'warn')).toEqual(['peer disconnected and refused for 30 s (malformed): a malformed update: unknown content ref 11'])
    expect(g.refusing('rogue')).toBe(true)
    expect(g.refusing('honest')).toBe(false)
    expect(g.stats).toMatchObject({ refused: { malformed: 1, flood: 1, oversize: 0, 'forged-beat': 0 }, disconnected: 1, refusing: 1 })
    clock.t = 30_000
    expect(g.refusing('rogue')).toBe(false)
    g.refuse('rogue', new PeerFault('oversize', 'again'))
    expect(hungUp).toEqual(['rogue', 'rogue'])
    expect(g.stats.disconnected).toBe(2)
  })
})
