// The partition policy: which members placement treats as alive.

import { describe, expect, it } from 'vitest'
import { placementLiveness } from '../../../src/node/reconciler/placement.ts'
import type { MemberState } from '../../../src/node/reconciler/placement.ts'

const states = (map: Record<string, MemberState>) => (id: string): MemberState => map[id] ?? 'dead'

describe('placementLiveness', () => {
  it('takes over dead members on a side that sees a majority', () => {
    const alive = placementLiveness(['a', 'b', 'c'], 'b', states({ a: 'dead', b: 'alive', c: 'alive' }))
    expect(['a', 'b', 'c'].map(alive)).toEqual([false, true, true])
  })

  it('takes over nothing on a minority side: every member keeps its slots', () => {
    const alive = placementLiveness(['a', 'b', 'c'], 'a', states({ a: 'alive', b: 'dead', c: 'dead' }))
    expect(['a', 'b', 'c'].map(alive)).toEqual([true, true, true])
  })

  it('does not count a suspect member towards the majority (the minority, one beat before it sees both dead)', () => {
    const alive = placementLiveness(['a', 'b', 'c'], 'a', states({ a: 'alive', b: 'dead', c: 'suspect' }))
    expect(['a', 'b', 'c'].map(alive)).toEqual([true, true, true])
  })

  it('lets a suspect member keep its slots on the majority side', () => {
    const alive = placementLiveness(['a', 'b', 'c', 'd', 'e'], 'a', states({ a: 'alive', b: 'alive', c: 'alive', d: 'suspect', e: 'dead' }))
    expect(['a', 'b', 'c', 'd', 'e'].map(alive)).toEqual([true, true, true, true, false])
  })

  it('always takes over in one- and two-node clusters', () => {
    const alive = placementLiveness(['a', 'b'], 'a', states({ a: 'alive', b: 'dead' }))
    expect(['a', 'b'].map(alive)).toEqual([true, false])
  })
})
