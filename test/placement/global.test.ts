import { describe, expect, it } from 'vitest'
import { globalSlotOf, place } from '../../src/placement/index.ts'
import { GLOBAL_SLOT_SEED } from '../../src/placement/constants.ts'
import { hash32 } from '../../src/placement/hash.ts'
import { GiB, MiB, member, service } from './helpers.ts'

const agent = service('agent', 0, { mode: 'global' })

describe('global services', () => {
  it('runs one slot on every alive, undrained member passing the constraints, numbered by the member id', () => {
    const cluster = [
      member('a', { labels: { zone: 'a' } }),
      member('b', { labels: { zone: 'b' } }),
      member('c', { labels: { zone: 'a' }, draining: true }),
      member('d', { labels: { zone: 'a' }, alive: false }),
      member('e', { labels: { zone: 'a' } })
    ]
    const { assignments, unplaced } = place([{ ...agent, constraints: ['node.labels.zone==a'] }], cluster)
    expect(unplaced).toEqual([])
    expect(assignments).toEqual(['a', 'e']
      .map(id => ({ service: 'agent', slot: globalSlotOf(id), key: `agent#${globalSlotOf(id)}`, node: id }))
      .sort((x, y) => x.slot - y.slot))
  })

  it('keeps every other member\'s global slot when a member joins or leaves', () => {
    const cluster = Array.from({ length: 20 }, (_, i) => member(`12D3KooW-${i}`))
    const before = place([agent], cluster).assignments
    const joined = place([agent], [...cluster, member('12D3KooW-new')]).assignments
    const left = place([agent], cluster.slice(1)).assignments
    expect(joined.filter(a => a.node !== '12D3KooW-new')).toEqual(before)
    expect(left).toEqual(before.filter(a => a.node !== '12D3KooW-0'))
  })

  it('reserves its resources before replicated slots are placed', () => {
    const cluster = [member('a', { capacity: { cpus: 4, memory: GiB } })]
    const { assignments, unplaced } = place([
      service('api', 1, { resources: { memory: 512 * MiB } }),
      { ...agent, resources: { memory: 768 * MiB } }
    ], cluster)
    expect(assignments.map(a => a.service)).toEqual(['agent'])
    expect(unplaced).toEqual([{ service: 'api', slot: 0, key: 'api#0', reason: '0 of 1 node eligible: 1 has no memory left (needs 512 MiB)' }])
  })

  it('reports the member it cannot run on, under that member\'s slot', () => {
    const cluster = [member('a'), member('b', { name: 'small', capacity: { cpus: 0.25, memory: 0 } })]
    const { assignments, unplaced } = place([{ ...agent, resources: { cpus: 0.5 } }], cluster)
    expect(assignments.map(a => a.node)).toEqual(['a'])
    expect(unplaced).toEqual([{ service: 'agent', slot: globalSlotOf('b'), key: `agent#${globalSlotOf('b')}`, reason: 'node small has no cpus left (needs 0.5 cpus)' }])
  })

  it('explains a global service that no member is eligible for under the key name#*', () => {
    const { unplaced } = place([{ ...agent, constraints: ['node.labels.gpu==true'] }], [member('a'), member('b')])
    expect(unplaced).toEqual([{ service: 'agent', slot: -1, key: 'agent#*', reason: '0 of 2 nodes eligible: 2 failed node.labels.gpu==true' }])
  })

  it('tells apart two members whose ids hash alike: the later id takes the next number', () => {
    // Birthday search over fixed ids: deterministic, and a collision is all but certain in 300k ids.
    const seen = new Map<number, string>()
    let pair: [string, string] | undefined
    for (let i = 0; i < 300_000 && pair === undefined; i++) {
      const id = `n${i}`
      const h = hash32(id, GLOBAL_SLOT_SEED)
      const other = seen.get(h)
      if (other !== undefined) pair = [other, id].sort() as [string, string]
      seen.set(h, id)
    }
    expect(pair).toBeDefined()
    const [first, second] = pair!
    const slots = new Map(place([agent], [member(second), member(first)]).assignments.map(a => [a.node, a.slot]))
    expect(slots.get(first)).toBe(globalSlotOf(first))
    expect(slots.get(second)).toBe((globalSlotOf(first) + 1) % 2 ** 32)
    // The one case where a leave renumbers another member's global slot.
    expect(place([agent], [member(second)]).assignments[0]!.slot).toBe(globalSlotOf(second))
  })
})
