// Stateful slots: a slot of a service with volumes keeps its data on the node that
// holds it (NodeRecord.holds), so placement keeps the slot there. A drain moves it with
// its data; a lost holder makes the slot wait for it, unless its volumes say to start
// empty elsewhere. The holder with the highest epoch has the data: every node agrees
// from the same view.

import { byText, parseSlotKey } from '../../placement/index.ts'
import { latestBackup } from './backups.ts'
import type { Placement, SlotAssignment, Unplaced } from '../../placement/index.ts'
import type { ServiceSpec } from '../../crdt/index.ts'
import { stateOf } from './view.ts'
import type { ClusterView } from './view.ts'

/** True when the service's slots carry volume data. */
export function hasVolumes (spec: ServiceSpec | undefined): boolean {
  return (spec?.volumes?.length ?? 0) > 0
}

/** The node holding a slot's data, at which epoch, and whether it let the data go. */
export interface Holder {
  node: string
  epoch: number
  released: boolean
}

const holderIndex = new WeakMap<ClusterView, Map<string, Holder>>()

/** Who holds slot `key`'s data: the highest epoch among members not removed (ties: the lowest id). */
export function holderOf (view: ClusterView, key: string): Holder | undefined {
  let index = holderIndex.get(view)
  if (index === undefined) {
    index = new Map()
    for (const id of Object.keys(view.nodes).sort()) {
      if (view.removals[id] !== undefined) continue
      for (const [slotKey, hold] of Object.entries(view.nodes[id]?.holds ?? {})) {
        const best = index.get(slotKey)
        if (best === undefined || hold.epoch > best.epoch) index.set(slotKey, { node: id, epoch: hold.epoch, released: hold.released === true })
      }
    }
    holderIndex.set(view, index)
  }
  return index.get(key)
}

/** What a lost holder means for the slot: wait for it unless every volume says otherwise. */
export function onNodeLoss (spec: ServiceSpec): 'wait' | 'restore' | 'empty' {
  const policies = new Set((spec.volumes ?? []).map((v) => v.onNodeLoss ?? 'wait'))
  if (policies.has('wait')) return 'wait'
  return policies.has('restore') ? 'restore' : 'empty'
}

/** Where a stateful slot stands: with its holder, moving away from it, or waiting for it. */
export type DataPlan =
  | { kind: 'stay', node: string }
  | { kind: 'move' }
  | { kind: 'wait', reason: string }

/** What slot `key` of `spec` does about its data, given which members count as alive. */
export function dataPlan (view: ClusterView, spec: ServiceSpec, key: string, alive: (id: string) => boolean): DataPlan {
  const holder = holderOf(view, key)
  if (holder === undefined) return { kind: 'move' }
  const name = view.nodes[holder.node]?.name ?? holder.node
  if (alive(holder.node)) return view.drains[holder.node]?.draining === true ? { kind: 'move' } : { kind: 'stay', node: holder.node }
  const policy = onNodeLoss(spec)
  if (policy === 'empty') return { kind: 'move' }
  const reason = `waiting for ${name}, which holds its volume data`
  if (policy === 'wait') return { kind: 'wait', reason }
  const slot = parseSlotKey(key)?.slot
  return slot !== undefined && latestBackup(view, spec, slot) !== undefined ? { kind: 'move' } : { kind: 'wait', reason: `${reason} (no backup of it to restore from)` }
}

/**
 * The placement with every stateful slot on the node holding its data (rebalancing,
 * capacity and constraints never move it; a drain does), and the slots whose holder is
 * lost held back, with the reason.
 */
export function pinToData (view: ClusterView, placement: Placement, alive: (id: string) => boolean): Placement {
  const stateful = (service: string): ServiceSpec | undefined => {
    const spec = view.services[service]?.spec
    return hasVolumes(spec) ? spec : undefined
  }
  if (!Object.values(view.services).some((record) => hasVolumes(record.spec))) return placement
  const assignments: SlotAssignment[] = []
  const unplaced: Unplaced[] = []
  const visit = (slot: { service: string, slot: number, key: string }, placed: string | undefined, reason: string | undefined): void => {
    const spec = stateful(slot.service)
    const plan = spec === undefined ? undefined : dataPlan(view, spec, slot.key, alive)
    const node = plan?.kind === 'stay' ? plan.node : plan?.kind === 'wait' ? undefined : placed
    if (node !== undefined) assignments.push({ service: slot.service, slot: slot.slot, key: slot.key, node })
    else unplaced.push({ service: slot.service, slot: slot.slot, key: slot.key, reason: plan?.kind === 'wait' ? plan.reason : reason ?? 'not placed' })
  }
  for (const a of placement.assignments) visit(a, a.node, undefined)
  for (const u of placement.unplaced) visit(u, undefined, u.reason)
  const order = (a: { service: string, slot: number }, b: { service: string, slot: number }): number => byText(a.service, b.service) || a.slot - b.slot
  return { ...placement, assignments: assignments.sort(order), unplaced: unplaced.sort(order) }
}

/**
 * A stateful slot on the node that runs it: the epoch it holds the data at once its
 * replica runs, the node to copy the data from first (`from`), and, while that node has
 * not stopped its replica and released the data, why the start waits (`waitFor`).
 */
export interface SlotData {
  epoch: number
  from?: string
  /** The time of the backup to restore from `from` (a lost holder, onNodeLoss: restore); absent: the live volumes. */
  backup?: number
  waitFor?: string
}

/** The data of slot `key` of `spec` as `node`, which it is placed on, must take it. */
export function slotData (view: ClusterView, spec: ServiceSpec, key: string, node: string): SlotData {
  const holder = holderOf(view, key)
  if (holder === undefined) return { epoch: 1 }
  if (holder.node === node) return { epoch: holder.epoch }
  // A lost holder's slot is placed elsewhere only when its volumes say to restore the latest backup, or to start empty.
  if (stateOf(view, holder.node) === 'dead') {
    const slot = parseSlotKey(key)?.slot
    const backup = onNodeLoss(spec) === 'restore' && slot !== undefined ? latestBackup(view, spec, slot) : undefined
    return backup === undefined ? { epoch: holder.epoch + 1 } : { epoch: holder.epoch + 1, from: backup.nodeId, backup: backup.at }
  }
  const name = view.nodes[holder.node]?.name ?? holder.node
  return {
    epoch: holder.epoch + 1,
    from: holder.node,
    ...(holder.released ? {} : { waitFor: `waiting for ${name} to stop the replica and release its volume data` })
  }
}

/** Where each slot of `service` has its volume data: the current holder per slot, in slot order. */
export function dataOf (view: ClusterView, service: string): Array<{ slot: number, nodeId: string, node: string, epoch: number, released: boolean }> {
  const slots = new Set<number>()
  for (const node of Object.values(view.nodes)) {
    for (const hold of Object.values(node.holds ?? {})) if (hold.service === service) slots.add(hold.slot)
  }
  return [...slots].sort((a, b) => a - b).flatMap((slot) => {
    const holder = holderOf(view, `${service}#${slot}`)
    return holder === undefined ? [] : [{ slot, nodeId: holder.node, node: view.nodes[holder.node]?.name ?? holder.node, epoch: holder.epoch, released: holder.released }]
  })
}
