// The partition policy: which members placement treats as alive.

import { describe, expect, it } from 'vitest'
import type { MemberState } from '../../../src/gossip/index.ts'
import { liveness } from '../../../src/node/cluster/index.ts'
import { view } from './helpers.ts'

const alive = (self: string, states: Record<string, MemberState>): boolean[] => {
  const ids = Object.keys(states)
  return ids.map(liveness(view({ self, nodes: ids, states })))
}

describe('liveness', () => {
  it('takes over dead members on a side that sees a majority', () => {
    expect(alive('b', { a: 'dead', b: 'alive', c: 'alive' })).toEqual([false, true, true])
  })

  it('takes over nothing on a minority side: every member keeps its slots', () => {
    expect(alive('a', { a: 'alive', b: 'dead', c: 'dead' })).toEqual([true, true, true])
  })

  it('does not count a suspect member towards the majority (the minority, one beat before it sees both dead)', () => {
    expect(alive('a', { a: 'alive', b: 'dead', c: 'suspect' })).toEqual([true, true, true])
  })

  it('lets a suspect member keep its slots on the majority side', () => {
    expect(alive('a', { a: 'alive', b: 'alive', c: 'alive', d: 'suspect', e: 'dead' })).toEqual([true, true, true, true, false])
  })

  it('always takes over in one- and two-node clusters', () => {
    expect(alive('a', { a: 'alive', b: 'dead' })).toEqual([true, false])
  })
})
