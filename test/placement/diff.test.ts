import { describe, expect, it } from 'vitest'
import { diffPlacement } from '../../src/placement/index.ts'
import type { SlotAssignment } from '../../src/placement/index.ts'

const at = (key: string, node: string): SlotAssignment => ({ service: key.split('#')[0]!, slot: Number(key.split('#')[1]), key, node })

describe('diffPlacement', () => {
  it('sorts slots into kept, moved, added and removed', () => {
    const before = { assignments: [at('web#0', 'a'), at('web#1', 'b'), at('db#0', 'c')], unplaced: [] }
    const after = { assignments: [at('web#0', 'a'), at('web#1', 'c'), at('web#2', 'b')], unplaced: [] }
    expect(diffPlacement(before, after)).toEqual({
      kept: 1,
      moved: [{ key: 'web#1', from: 'b', to: 'c' }],
      added: [at('web#2', 'b')],
      removed: [at('db#0', 'c')]
    })
  })
})
