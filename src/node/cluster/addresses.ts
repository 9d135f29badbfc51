// Service addresses, like a ClusterIP but with no central allocator: each service holds
// an index, written once into its record when it is created, and every node turns it
// into addresses of its own replica network's service range: the service's address
// (base + SERVICE_BLOCK × index) and one address per slot after it, so `db-0` reaches
// exactly slot 0. Two services created at the same moment may pick the same index; the
// older one keeps it and the newer moves to the next free one, the same on every node.

import type { ServiceRecord } from '../../crdt/index.ts'
import { SERVICE_BLOCK } from './constants.ts'

/** The part of a node's replica network that holds service addresses. */
export interface ServiceRange { first: string, last: string }

/** A service's addresses on one node: its own, and its slots' (slot < SERVICE_BLOCK - 1). */
export interface ServiceAddresses { address: string, slots: Map<number, string> }

/** Every service's index: its recorded one unless an older service holds it, then the lowest free. */
export function addressIndices (services: Record<string, ServiceRecord>): Map<string, number> {
  const records = Object.values(services).sort((a, b) => a.createdAt - b.createdAt || (a.spec.name < b.spec.name ? -1 : 1))
  const taken = new Set<number>()
  const indices = new Map<string, number>()
  const later: ServiceRecord[] = []
  for (const record of records) {
    const wanted = record.addressIndex
    if (wanted !== undefined && !taken.has(wanted)) {
      taken.add(wanted)
      indices.set(record.spec.name, wanted)
    } else {
      later.push(record)
    }
  }
  let free = 0
  for (const record of later) {
    while (taken.has(free)) free++
    taken.add(free)
    indices.set(record.spec.name, free)
  }
  return indices
}

/** The lowest index no service holds: what a new service records. */
export function nextAddressIndex (services: Record<string, ServiceRecord>): number {
  const taken = new Set(addressIndices(services).values())
  let index = 0
  while (taken.has(index)) index++
  return index
}

/** Each service's addresses in `range`; a service whose index falls outside it has none there. */
export function serviceAddresses (services: Record<string, ServiceRecord>, range: ServiceRange): Map<string, ServiceAddresses> {
  const first = ipToInt(range.first)
  const last = ipToInt(range.last)
  const out = new Map<string, ServiceAddresses>()
  for (const [name, index] of addressIndices(services)) {
    const base = first + index * SERVICE_BLOCK
    if (base + SERVICE_BLOCK - 1 > last) continue
    const record = services[name]!
    const slots = new Map<number, string>()
    // Global slots are numbered by hashes, not 0…n: they get no slot addresses.
    if (record.spec.mode !== 'global') {
      for (let slot = 0; slot < Math.min(record.spec.replicas, SERVICE_BLOCK - 1); slot++) slots.set(slot, intToIp(base + 1 + slot))
    }
    out.set(name, { address: intToIp(base), slots })
  }
  return out
}

/** The DNS names of this node's service addresses: "db" and "db-0" (the caller adds the ".meshd" forms). */
export function addressNames (addresses: ReadonlyMap<string, ServiceAddresses>): Map<string, string> {
  const names = new Map<string, string>()
  for (const [service, { address, slots }] of addresses) {
    names.set(service, address)
    for (const [slot, slotAddress] of slots) names.set(`${service}-${slot}`, slotAddress)
  }
  return names
}

export function ipToInt (ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0)
}

export function intToIp (n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')
}
