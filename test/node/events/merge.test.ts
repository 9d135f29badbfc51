// Merging members' events: history in time order (ties by node, then id), a node's
// event passed once however often it is offered, and a member transition seen by
// several observers shown once (whatever incarnation each observer read) — but the same
// kind much later shown again. The dedupe memory is bounded.

import { describe, expect, it } from 'vitest'
import { byTime, Deduper, mergeHistories, parseLine, parseFilter } from '../../../src/node/events/index.ts'
import type { MeshEvent } from '../../../src/node/events/index.ts'

const at = (node: string, id: number, time: number, extra: Partial<MeshEvent> = {}): MeshEvent =>
  ({ kind: 'replica.started', message: `${node}#${id}`, node, id, time, ...extra })

describe('merge', () => {
  it('sorts histories by time, then node, then id', () => {
    const a = [at('a', 1, 10), at('a', 2, 30), at('a', 3, 30)]
    const b = [at('b', 1, 5), at('b', 2, 30)]
    expect(mergeHistories([a, b], new Deduper()).map((e) => e.message)).toEqual(['b#1', 'a#1', 'a#2', 'a#3', 'b#2'])
    expect([at('b', 1, 1), at('a', 1, 1)].sort(byTime)[0]?.node).toBe('a')
  })

  it('passes a node\'s event once', () => {
    const dedupe = new Deduper()
    expect(dedupe.admit(at('a', 1, 10))).toBe(true)
    expect(dedupe.admit(at('a', 1, 10))).toBe(false)
    // A restarted node counts from 1 again, at a later time: a new event.
    expect(dedupe.admit(at('a', 1, 99))).toBe(true)
    expect(dedupe.admit(at('b', 1, 10))).toBe(true)
  })

  it('shows one member transition once, from whichever observer told it first', () => {
    const dead = (node: string, time: number, incarnation: number): MeshEvent =>
      at(node, 1, time, { kind: 'member.dead', member: 'node-3', incarnation })
    const merged = mergeHistories([[dead('node-2', 1010, 7)], [dead('node-1', 1000, 7)]], new Deduper())
    expect(merged.map((e) => e.node)).toEqual(['node-1'])
    const dedupe = new Deduper()
    expect(dedupe.admit(dead('node-1', 1000, 7))).toBe(true)
    expect(dedupe.admit(dead('node-2', 2000, 7))).toBe(false)
    // An observer that had not yet read the member's new record tells the same death.
    expect(dedupe.admit(dead('node-3', 2500, 6))).toBe(false)
    // Much later, the member dying again is news.
    expect(dedupe.admit(dead('node-2', 60_000, 8))).toBe(true)
    expect(dedupe.admit(dead('node-1', 61_000, 8))).toBe(false)
  })

  it('remembers a bounded number of events', () => {
    const dedupe = new Deduper(10)
    for (let i = 0; i < 20; i++) dedupe.admit(at('a', i, i))
    expect(dedupe.admit(at('a', 19, 19))).toBe(false)
    expect(dedupe.admit(at('a', 0, 0))).toBe(true)
  })
})

describe('a member\'s lines', () => {
  it('are believed only as events of that member, or the caught-up mark', () => {
    const good = at('node-2', 1, 5)
    expect(parseLine(JSON.stringify(good), 'node-2')).toEqual(good)
    expect(parseLine('{"caughtUp":true}', 'node-2')).toBe('caughtUp')
    expect(parseLine(JSON.stringify(good), 'node-3')).toBeUndefined()
    expect(parseLine(JSON.stringify({ ...good, kind: 'evil.kind' }), 'node-2')).toBeUndefined()
    expect(parseLine(JSON.stringify({ ...good, id: '1' }), 'node-2')).toBeUndefined()
    expect(parseLine(JSON.stringify({ ...good, message: undefined }), 'node-2')).toBeUndefined()
    expect(parseLine('not json', 'node-2')).toBeUndefined()
    expect(parseLine('[1]', 'node-2')).toBeUndefined()
  })
})

describe('parseFilter', () => {
  it('takes a service and a time in ms', () => {
    expect(parseFilter({})).toEqual({})
    expect(parseFilter({ service: 'web', since: '1700000000000' })).toEqual({ service: 'web', since: 1700000000000 })
  })

  it('names a bad field', () => {
    for (const [query, field] of [[{ service: 'Web!' }, 'service'], [{ service: ['a', 'b'] }, 'service'], [{ since: '10m' }, 'since'], [{ since: '-1' }, 'since']] as const) {
      expect(() => parseFilter(query), JSON.stringify(query)).toThrow(expect.objectContaining({ path: field }))
    }
  })
})
