// The event bus and its ring: events stamped with node, increasing id and time, the
// last N kept (oldest dropped), listeners called and removable, a throwing listener
// never reaching the part that emitted.

import { describe, expect, it } from 'vitest'
import { EventBus, matches, Ring } from '../../../src/node/events/index.ts'
import { silent } from '../../support/logger.ts'

describe('Ring', () => {
  it('keeps the last `capacity` items, oldest first', () => {
    const ring = new Ring<number>(3)
    expect(ring.toArray()).toEqual([])
    for (let i = 1; i <= 2; i++) ring.push(i)
    expect(ring.toArray()).toEqual([1, 2])
    for (let i = 3; i <= 7; i++) ring.push(i)
    expect(ring.toArray()).toEqual([5, 6, 7])
    expect(ring.size).toBe(3)
  })

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new Ring(0)).toThrow(/capacity/)
    expect(() => new Ring(1.5)).toThrow(/capacity/)
  })
})

describe('EventBus', () => {
  it('stamps each event with this node, an increasing id and the time', () => {
    let clock = 1000
    const bus = new EventBus({ node: 'node-1', now: () => clock++ })
    const a = bus.emit({ kind: 'service.deployed', service: 'web', message: 'web deployed' })
    const b = bus.emit({ kind: 'service.scaled', service: 'web', message: 'web scaled to 3', replicas: 3, slot: undefined })
    expect(a).toEqual({ kind: 'service.deployed', service: 'web', message: 'web deployed', id: 1, time: 1000, node: 'node-1' })
    expect(b.id).toBe(2)
    expect(b.time).toBe(1001)
    expect(b.replicas).toBe(3)
    expect('slot' in b).toBe(false)
  })

  it('an input cannot forge the stamp', () => {
    const bus = new EventBus({ node: 'node-1' })
    const event = bus.emit({ kind: 'replica.started', message: 'x', id: 99, node: 'evil', time: 5 })
    expect([event.id, event.node]).toEqual([1, 'node-1'])
    expect(event.time).toBeGreaterThan(5)
  })

  it('keeps only the last `size` events, and filters them', () => {
    const bus = new EventBus({ node: 'n', size: 1000 })
    for (let i = 0; i < 1500; i++) bus.emit({ kind: 'replica.started', service: i % 2 === 0 ? 'web' : 'db', slot: i, message: `${i}` })
    const all = bus.recent()
    expect(all).toHaveLength(1000)
    expect(all[0]?.id).toBe(501)
    expect(all.at(-1)?.id).toBe(1500)
    expect(bus.recent({ service: 'db' }).every((e) => e.service === 'db')).toBe(true)
    expect(bus.recent({ service: 'db' })).toHaveLength(500)
  })

  it('hands events to listeners until they unsubscribe; a throwing listener harms no one', () => {
    const bus = new EventBus({ node: 'n', log: silent })
    const seen: number[] = []
    bus.subscribe(() => { throw new Error('boom') })
    const stop = bus.subscribe((e) => { seen.push(e.id) })
    expect(bus.listening).toBe(2)
    bus.emit({ kind: 'member.alive', member: 'b', message: 'b is alive' })
    stop()
    bus.emit({ kind: 'member.dead', member: 'b', message: 'b is dead' })
    expect(seen).toEqual([1])
    expect(bus.listening).toBe(1)
  })
})

describe('matches', () => {
  const event = { kind: 'replica.failed', service: 'web', slot: 0, exitCode: 137, message: 'x', id: 1, time: 500, node: 'n' } as const
  it('filters by service and by time (inclusive)', () => {
    expect(matches(event, {})).toBe(true)
    expect(matches(event, { service: 'web', since: 500 })).toBe(true)
    expect(matches(event, { service: 'db' })).toBe(false)
    expect(matches(event, { since: 501 })).toBe(false)
    expect(matches({ ...event, service: undefined }, { service: 'web' })).toBe(false)
  })
})
