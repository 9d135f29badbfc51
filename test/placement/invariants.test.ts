// Property tests: random clusters with every feature (labels, constraints, dead and
// draining members, resources, maxPerNode, global services, unequal capacities), and
// the rules every placement must keep.

import { describe, expect, it } from 'vitest'
import { globalSlotOf, place } from '../../src/placement/index.ts'
import type { Placement, PlacementMember, PlacementService } from '../../src/placement/index.ts'
import { eligible, loads, mixedReplicas, prng, randomCluster, satisfies, shuffle } from './helpers.ts'
import type { Rng } from './helpers.ts'

const CASES = 60

function randomCase (seed: number): { rng: Rng, members: PlacementMember[], services: PlacementService[] } {
  const rng = prng(seed)
  const nodes = 1 + rng.int(25)
  return { rng, ...randomCluster(rng, { nodes, slots: 5 + rng.int(20 * nodes), replicas: mixedReplicas, weighted: rng.next() < 0.5, everything: true }) }
}

/** Reservations per member id of everything placed. */
function reservations (placement: Placement, services: readonly PlacementService[]): Map<string, { cpus: number, memory: number }> {
  const byName = new Map(services.map(s => [s.name, s]))
  const used = new Map<string, { cpus: number, memory: number }>()
  for (const { service, node } of placement.assignments) {
    const resources = byName.get(service)?.resources ?? {}
    const sum = used.get(node) ?? { cpus: 0, memory: 0 }
    sum.cpus += resources.cpus ?? 0
    sum.memory += resources.memory ?? 0
    used.set(node, sum)
  }
  return used
}

describe('place on random clusters', () => {
  it('is deterministic: the same placement whatever the order of services and members', () => {
    for (let seed = 1; seed <= CASES; seed++) {
      const { rng, members, services } = randomCase(seed)
      const expected = place(services, members)
      for (let round = 0; round < 3; round++) {
        expect(place(shuffle(rng, services), shuffle(rng, members)), `seed ${seed}`).toEqual(expected)
      }
    }
  })

  it('is pure: leaves its (frozen) inputs alone and gives the same answer twice', () => {
    const freeze = <T>(value: T): T => {
      if (typeof value === 'object' && value !== null) {
        for (const inner of Object.values(value)) freeze(inner)
        Object.freeze(value)
      }
      return value
    }
    for (let seed = 1; seed <= CASES; seed++) {
      const { members, services } = randomCase(seed)
      const before = JSON.stringify({ members, services })
      const placement = place(freeze(services), freeze(members))
      expect(JSON.stringify({ members, services })).toBe(before)
      expect(place(services, members)).toEqual(placement)
    }
  })

  it('accounts for every slot exactly once, placed or unplaced', () => {
    for (let seed = 1; seed <= CASES; seed++) {
      const { members, services } = randomCase(seed)
      const placement = place(services, members)
      const keys = [...placement.assignments, ...placement.unplaced].map(s => s.key)
      expect(new Set(keys).size, `seed ${seed}`).toBe(keys.length)
      for (const spec of services.filter(s => s.mode === 'replicated')) {
        const mine = [...placement.assignments, ...placement.unplaced].filter(s => s.service === spec.name)
        expect(mine.map(s => s.slot).sort((a, b) => a - b), `seed ${seed} ${spec.name}`).toEqual(Array.from({ length: spec.replicas }, (_, i) => i))
        for (const s of mine) expect(s.key).toBe(`${spec.name}#${s.slot}`)
      }
    }
  })

  it('places only on alive, undrained members that pass the constraints, within maxPerNode and resources', () => {
    for (let seed = 1; seed <= CASES; seed++) {
      const { members, services } = randomCase(seed)
      const placement = place(services, members)
      const byId = new Map(members.map(m => [m.id, m]))
      const byName = new Map(services.map(s => [s.name, s]))
      const perNode = new Map<string, number>()
      for (const a of placement.assignments) {
        const m = byId.get(a.node)!
        const spec = byName.get(a.service)!
        expect(eligible(m, spec), `seed ${seed}: ${a.key} on ${m.name}`).toBe(true)
        const held = (perNode.get(`${a.service} ${a.node}`) ?? 0) + 1
        perNode.set(`${a.service} ${a.node}`, held)
        expect(held, `seed ${seed}: ${a.key} maxPerNode`).toBeLessThanOrEqual(spec.maxPerNode ?? Infinity)
      }
      for (const [id, used] of reservations(placement, services)) {
        const { cpus, memory } = byId.get(id)!.capacity
        if (cpus > 0) expect(used.cpus, `seed ${seed}: cpus on ${id}`).toBeLessThanOrEqual(cpus + 1e-9)
        if (memory > 0) expect(used.memory, `seed ${seed}: memory on ${id}`).toBeLessThanOrEqual(memory)
      }
    }
  })

  it('leaves a slot unplaced only when no member can take it, and says why for every member', () => {
    for (let seed = 1; seed <= CASES; seed++) {
      const { members, services } = randomCase(seed)
      const placement = place(services, members)
      const used = reservations(placement, services)
      const byName = new Map(services.map(s => [s.name, s]))
      for (const u of placement.unplaced.filter(u => byName.get(u.service)!.mode === 'replicated')) {
        const spec = byName.get(u.service)!
        for (const m of members) {
          const { cpus, memory } = m.capacity
          const left = used.get(m.id) ?? { cpus: 0, memory: 0 }
          const held = placement.assignments.filter(a => a.service === spec.name && a.node === m.id).length
          const blocked = !eligible(m, spec) ||
            (cpus > 0 && left.cpus + (spec.resources?.cpus ?? 0) > cpus + 1e-9) ||
            (memory > 0 && left.memory + (spec.resources?.memory ?? 0) > memory) ||
            held >= (spec.maxPerNode ?? Infinity)
          expect(blocked, `seed ${seed}: ${u.key} could go to ${m.name} (${u.reason})`).toBe(true)
        }
        expect(u.reason).toMatch(new RegExp(`^0 of ${members.length} nodes? eligible: `))
        const counted = [...u.reason.matchAll(/(?:^|, )(?:\d+ of \d+ nodes? eligible: )?(\d+) |on (\d+) nodes?/g)]
          .reduce((sum, m) => sum + Number(m[1] ?? m[2]), 0)
        expect(counted, `seed ${seed}: ${u.reason}`).toBe(members.length)
      }
    }
  })

  it('gives a global service exactly one slot on each eligible member, numbered by the member', () => {
    for (let seed = 1; seed <= CASES; seed++) {
      const { members, services } = randomCase(seed)
      const placement = place(services, members)
      for (const spec of services.filter(s => s.mode === 'global')) {
        const placed = placement.assignments.filter(a => a.service === spec.name)
        const missing = placement.unplaced.filter(u => u.service === spec.name)
        const want = members.filter(m => eligible(m, spec))
        if (want.length === 0) {
          expect(missing).toEqual([{ service: spec.name, slot: -1, key: `${spec.name}#*`, reason: expect.stringMatching(/^0 of \d+ nodes? eligible: /) }])
          continue
        }
        expect([...placed.map(a => a.node), ...missing.map(u => members.find(m => globalSlotOf(m.id) === u.slot)!.id)].sort(), `seed ${seed}`)
          .toEqual(want.map(m => m.id).sort())
        for (const a of placed) expect(a.slot).toBe(globalSlotOf(a.node))
        for (const u of missing) expect(u.reason).toMatch(/^node \S+ has no (cpus|memory) left \(needs /)
      }
    }
  })

  it('keeps every node within ⌈1.25 × its fair share⌉ when every node is eligible', () => {
    for (let seed = 1; seed <= 4 * CASES; seed++) {
      const rng = prng(seed)
      const nodes = 1 + rng.int(40)
      const { members, services } = randomCluster(rng, { nodes, slots: 1 + rng.int(30 * nodes), replicas: mixedReplicas, weighted: rng.next() < 0.5 })
      const placement = place(services, members)
      expect(placement.unplaced).toEqual([])
      const total = placement.assignments.length
      const weight = members.reduce((sum, m) => sum + m.capacity.cpus, 0)
      for (const m of members) {
        const bound = Math.ceil(1.25 * total * m.capacity.cpus / weight - 1e-9)
        expect(loads(placement).get(m.id) ?? 0, `seed ${seed}: ${m.name} of ${nodes}`).toBeLessThanOrEqual(bound)
      }
    }
  })
})

describe('spread', () => {
  function spreadCase (seed: number, loadFactor: number): { members: PlacementMember[], services: PlacementService[], placement: Placement } {
    const rng = prng(seed)
    const nodes = 1 + rng.int(20)
    const { members, services } = randomCluster(rng, { nodes, slots: 1 + rng.int(10 * nodes), replicas: mixedReplicas, weighted: rng.next() < 0.5 })
    // Constraints narrow some services to part of the cluster.
    for (const m of members) m.labels.zone = rng.pick(['a', 'b'])
    for (const s of services) if (rng.next() < 0.3) s.constraints.push(`node.labels.zone==${rng.pick(['a', 'b'])}`)
    return { members, services, placement: place(services, members, { loadFactor }) }
  }

  it('puts the replicas of a service on distinct nodes while there are enough, and on every node when there are more', () => {
    for (let seed = 1; seed <= 2 * CASES; seed++) {
      const { members, services, placement } = spreadCase(seed, Infinity)
      for (const spec of services) {
        const nodes = members.filter(m => eligible(m, spec))
        const counts = nodes.map(m => placement.assignments.filter(a => a.service === spec.name && a.node === m.id).length)
        if (nodes.length === 0) continue
        if (spec.replicas <= nodes.length) expect(Math.max(...counts), `seed ${seed} ${spec.name}`).toBeLessThanOrEqual(1)
        else expect(Math.min(...counts), `seed ${seed} ${spec.name}`).toBeGreaterThanOrEqual(1)
        const weight = nodes.reduce((sum, m) => sum + m.capacity.cpus, 0)
        nodes.forEach((m, i) => {
          expect(counts[i], `seed ${seed} ${spec.name} on ${m.name}`).toBeLessThanOrEqual(Math.max(1, Math.ceil(2 * spec.replicas * m.capacity.cpus / weight - 1e-9)))
        })
      }
    }
  })

  it('doubles replicas up on a node under bounded load only when the nodes without one are full', () => {
    for (let seed = 1; seed <= 2 * CASES; seed++) {
      const { members, services, placement } = spreadCase(seed, 1.25)
      const load = loads(placement)
      const total = placement.assignments.length
      for (const spec of services) {
        const nodes = members.filter(m => eligible(m, spec))
        if (spec.replicas > nodes.length) continue
        const counts = new Map(nodes.map(m => [m.id, placement.assignments.filter(a => a.service === spec.name && a.node === m.id).length]))
        if (Math.max(...counts.values()) <= 1) continue
        // Another node without a replica must be at its load cap (fair shares as placement computes them).
        for (const m of nodes.filter(m => counts.get(m.id) === 0)) {
          const share = services.reduce((sum, s) => {
            const mine = members.filter(x => eligible(x, s))
            return mine.some(x => x.id === m.id) ? sum + s.replicas * m.capacity.cpus / mine.reduce((w, x) => w + x.capacity.cpus, 0) : sum
          }, 0)
          expect(load.get(m.id) ?? 0, `seed ${seed} ${spec.name}: ${m.name} has room (${total} slots)`).toBeGreaterThanOrEqual(Math.ceil(1.25 * share - 1e-9))
        }
      }
    }
  })
})

describe('satisfies (the tests\' own reading of constraints)', () => {
  it('agrees with the examples of the design', () => {
    const m = { id: 'i', name: 'x', labels: { zone: 'a' }, capacity: { cpus: 1, memory: 1 }, alive: true, draining: false }
    expect(satisfies(m, 'node.name==x')).toBe(true)
    expect(satisfies(m, ' node.labels.zone != b ')).toBe(true)
    expect(satisfies(m, 'node.labels.zone==b')).toBe(false)
  })
})
