// Which slots a node runs, with the generation each must run, and which of its other
// replicas it must keep for a handoff: the answer the reconciler asks for every tick.

import type { Placement } from '../../placement/index.ts'
import { parseSlotKey } from '../../placement/index.ts'
import { awaitingHandoff } from './handoff.ts'
import { hasVolumes, slotData } from './stateful.ts'
import type { SlotData } from './stateful.ts'
import { ownersOf, placeCluster } from './placement.ts'
import { desiredGeneration, resolveUpdate, specOf } from './rollout.ts'
import { specHash } from './spec-hash.ts'
import { allowedToStart } from './throttle.ts'
import type { ClusterView } from './view.ts'

/** A slot a node should run: service, slot number and the generation it must run. */
export interface DesiredSlot {
  key: string
  service: string
  slot: number
  generation: number
  /** update.order "stop-first": the replica of another generation stops before the new one starts. */
  stopFirst?: boolean
  /** The restart policy says this slot's failed replica stays as it is: nothing is started. */
  finished?: boolean
  /** specHash of the spec the slot's generation runs: a replica built from another spec is replaced. */
  specHash?: string
  /** A slot with volumes: its data here (slotData). */
  data?: SlotData
}

/** What a node runs: its desired slots, and whether it must hold a replica of a slot placed elsewhere. */
export interface NodeAssignment {
  desired: DesiredSlot[]
  hold: (key: string) => boolean
}

/** The generation each slot must run: a rollout in progress keeps the slots it has not moved yet. */
export function generationsOf (view: ClusterView): (service: string, slot: number) => number {
  return (service, slot) => {
    const record = view.services[service]
    return record === undefined ? 0 : desiredGeneration(record, view.rollouts[service], slot)
  }
}

/** The slots placed on `node`, with the generation each must run. */
export function slotsOf (view: ClusterView, placement: Placement, node: string): DesiredSlot[] {
  const generationOf = generationsOf(view)
  const hashes = new Map<string, string | undefined>()
  const hashOf = (service: string, generation: number): string | undefined => {
    const key = `${service}@${generation}`
    if (!hashes.has(key)) {
      const record = view.services[service]
      const spec = record === undefined ? undefined : specOf(record, generation)
      hashes.set(key, spec === undefined ? undefined : specHash(spec))
    }
    return hashes.get(key)
  }
  return placement.assignments
    .filter((a) => a.node === node)
    .map((a) => {
      const spec = view.services[a.service]?.spec
      const data = spec !== undefined && hasVolumes(spec) ? slotData(view, spec, a.key, node) : undefined
      // Two replicas of one slot never share its data: a stateful slot stops first.
      const stopFirst = spec === undefined ? false : data !== undefined || resolveUpdate(spec).stopFirst
      const generation = generationOf(a.service, a.slot)
      const hash = hashOf(a.service, generation)
      return {
        key: a.key, service: a.service, slot: a.slot, generation,
        ...(stopFirst ? { stopFirst } : {}), ...(hash === undefined ? {} : { specHash: hash }), ...(data === undefined ? {} : { data })
      }
    })
}

/**
 * What this node (view.self) runs: the slots placed on it that the rebalancing
 * throttle lets start (a slot held back is not desired here yet; its old holder keeps
 * it), and the replicas of slots placed elsewhere it holds until the handoff.
 */
export function assignmentOf (view: ClusterView, placement: Placement = placeCluster(view)): NodeAssignment {
  const owners = ownersOf(placement)
  const mayStart = allowedToStart(view, placement)
  const generationOf = generationsOf(view)
  return {
    desired: slotsOf(view, placement, view.self).filter((slot) => mayStart(slot.key)),
    hold: (key) => {
      const slot = parseSlotKey(key)
      // A stateful replica stops as soon as its slot is placed elsewhere: its data moves after it.
      if (slot === undefined || hasVolumes(view.services[slot.service]?.spec)) return false
      return awaitingHandoff(view, owners.get(key), key, generationOf(slot.service, slot.slot))
    }
  }
}
