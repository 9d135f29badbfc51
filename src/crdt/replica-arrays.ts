// Replicas live in one top-level Y.Array per node, "replicas/<nodeId>", of entries
// { key, replica }. A write appends the new entry and deletes the old one.
//
// Why not a Y.Map like the other parts of the document: replica records are what the
// cluster rewrites most (every state change of every container), and each overwrite
// of a Y.Map entry leaves a tombstone that never merges with its neighbours (they
// belong to other keys). Every write ever made then costs load time forever: with a
// Y.Map, a 100k-write history took 90-200 ms to load (bench/crdt.ts), nearly all of
// it materialising tombstones. In an array only its node appends to, deleted entries
// are adjacent in both position and clock, and Yjs merges each run of them into one
// struct: the same history loads in ~7 ms. Top-level arrays are addressed by name,
// so two peers never create the same one concurrently (the trouble of nested types).

import type * as Y from 'yjs'

const PREFIX = 'replicas/'

interface Entry {
  key: string
  replica: unknown
}

/** The replica part of the document: get, put, delete by (node id, slot key). */
export class ReplicaArrays {
  private readonly doc: Y.Doc

  constructor (doc: Y.Doc) {
    this.doc = doc
  }

  /** Ids of the nodes that have (or had) replicas, sorted. */
  nodeIds (): string[] {
    return [...this.doc.share.keys()].filter(name => name.startsWith(PREFIX)).map(name => name.slice(PREFIX.length)).sort()
  }

  /**
   * One node's replicas by slot key, in key order. A key held twice (two incarnations
   * of the node wrote it concurrently, e.g. one restarted on an empty disk) resolves to
   * the entry later in the array: array order is the same on every peer.
   */
  of (nodeId: string): Map<string, unknown> {
    const current = new Map<string, unknown>()
    for (const entry of this.existing(nodeId)?.toArray() ?? []) current.set(entry.key, entry.replica)
    return new Map([...current].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
  }

  /** The current replica of one slot key on one node. */
  get (nodeId: string, key: string): unknown {
    let replica: unknown
    for (const entry of this.existing(nodeId)?.toArray() ?? []) if (entry.key === key) replica = entry.replica
    return replica
  }

  /** Replaces the node's entry for `key`; call inside a transaction. */
  put (nodeId: string, key: string, replica: unknown): void {
    this.delete(nodeId, key)
    this.array(nodeId).push([{ key, replica }])
  }

  /** Deletes the node's entries for `key`; call inside a transaction. False when there were none. */
  delete (nodeId: string, key: string): boolean {
    const array = this.existing(nodeId)
    if (array === undefined) return false
    const entries = array.toArray()
    let deleted = false
    // From the end, so the indexes still to delete stay valid.
    for (let i = entries.length - 1; i >= 0; i--) {
      if (entries[i]?.key !== key) continue
      array.delete(i, 1)
      deleted = true
    }
    return deleted
  }

  /** True when one of `types` (a transaction's changed types) is a replica array. */
  touchedBy (types: Set<unknown>): boolean {
    for (const [name, type] of this.doc.share) {
      if (name.startsWith(PREFIX) && types.has(type)) return true
    }
    return false
  }

  private array (nodeId: string): Y.Array<Entry> {
    if (nodeId === '') throw new TypeError('a replica needs a node id')
    return this.doc.getArray<Entry>(PREFIX + nodeId)
  }

  // Reads must not create a type: looking up a node that has no replicas stays free.
  private existing (nodeId: string): Y.Array<Entry> | undefined {
    return this.doc.share.has(PREFIX + nodeId) ? this.array(nodeId) : undefined
  }
}
