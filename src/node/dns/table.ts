// The names this node answers for, as plain data built by the caller from the cluster's
// view: fully qualified names under the zone → IPv4 addresses. A stack's names
// (`db.shop.meshd`) are more records and a search suffix (`shop.meshd`) ahead of the
// zone's; the resolver needs no change for them.

import { ZONE } from './constants.ts'

export interface NameTable {
  /**
   * Lowercase names without a trailing dot ("db.meshd", "db-0.meshd") → their IPv4
   * addresses. An empty list is a name that exists without addresses (an ancestor of a
   * longer name, "shop.meshd" of "db.shop.meshd"): it answers NODATA, not NXDOMAIN.
   */
  readonly records: ReadonlyMap<string, readonly string[]>
  /** Suffixes tried in order for a single-label name: ["meshd"] makes "db" mean "db.meshd". */
  readonly search: readonly string[]
}

/** What the table builder needs to know of one service. */
export interface ServiceNames {
  service: string
  /** The service's address: any of its healthy replicas answers there. */
  address: string
  /** The address that reaches exactly one slot's replica, for each slot that has one. */
  slots: ReadonlyArray<{ slot: number, address: string }>
  /** The Compose stack the service belongs to: its name is "STACK-SHORT", also SHORT.STACK.meshd. */
  stack?: string
}

export interface BuiltNameTable extends NameTable {
  /** Names left out, and why (a slot name taken by a service's own name, an address that is not IPv4). */
  problems: string[]
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

/** A name as the table keys it: lowercase, no trailing dot. */
export function canonicalName (name: string): string {
  return (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase()
}

/** True for a dotted-quad IPv4 address. */
export function isIPv4Address (address: string): boolean {
  return IPV4.test(address)
}

/**
 * The table for these services: SERVICE.meshd → the service's address, SERVICE-SLOT.meshd
 * → the slot's; a stack's service "STACK-SHORT" is also SHORT.STACK.meshd and
 * SHORT-SLOT.STACK.meshd, the names its stack's replicas find first (their search list
 * starts with STACK.meshd). A service's own name wins over a slot name that spells the
 * same ("db-0" the service over slot 0 of "db"): it was chosen, the other derived; the
 * loser is named in `problems`, and so is an address that is not IPv4.
 */
export function nameTable (services: readonly ServiceNames[]): BuiltNameTable {
  const records = new Map<string, string[]>()
  const problems: string[] = []
  const add = (name: string, address: string, what: string): void => {
    if (!isIPv4Address(address)) {
      problems.push(`${name}: the address of ${what}, ${JSON.stringify(address)}, is not IPv4`)
      return
    }
    records.set(name, [address])
  }
  for (const entry of services) {
    for (const name of namesOf(entry)) add(name, entry.address, `service ${entry.service}`)
  }
  for (const entry of services) {
    for (const { slot, address } of entry.slots) {
      for (const name of namesOf(entry, `-${slot}`)) {
        if (records.has(name)) problems.push(`${name}: slot ${slot} of ${entry.service} is shadowed by the service of that name`)
        else add(name, address, `slot ${slot} of ${entry.service}`)
      }
    }
  }
  addAncestors(records, ZONE)
  return { records, search: [ZONE], problems }
}

/** The service's names with `tail` after the first label: under the zone, and under its stack's name when it has one. */
function namesOf ({ service, stack }: ServiceNames, tail = ''): string[] {
  const name = canonicalName(service)
  const names = [`${name}${tail}.${ZONE}`]
  const prefix = stack === undefined ? undefined : `${canonicalName(stack)}-`
  if (prefix !== undefined && name.startsWith(prefix) && name.length > prefix.length) {
    names.push(`${name.slice(prefix.length)}${tail}.${prefix.slice(0, -1)}.${ZONE}`)
  }
  return names
}

/** Gives every ancestor of a name, down to the zone, an empty record, so it answers NODATA. */
function addAncestors (records: Map<string, string[]>, zone: string): void {
  for (const name of [...records.keys()]) {
    let at = name.indexOf('.')
    while (at !== -1) {
      const ancestor = name.slice(at + 1)
      if (!records.has(ancestor)) records.set(ancestor, [])
      if (ancestor === zone) break
      at = name.indexOf('.', at + 1)
    }
  }
  if (!records.has(zone)) records.set(zone, [])
}
