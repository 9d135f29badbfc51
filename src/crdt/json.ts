// Document values are plain JSON. Yjs stores the object it is given and hands the same
// object back on every read, so values are copied on the way in and on the way out:
// no caller can change document state without an update.

import type * as Y from 'yjs'

/** A JSON value. */
export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain }

/**
 * The record as JSON carries it (undefined members dropped, toJSON applied). Throws a
 * TypeError for anything but an object, and for a "__proto__" key, which lib0's decoder
 * would turn into a prototype on peers.
 */
export function toPlain (value: object): { [key: string]: Plain } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`a document record must be a plain object, got ${Array.isArray(value) ? 'an array' : String(value)}`)
  }
  const json = JSON.stringify(value)
  // Inside a JSON string every quote is escaped, so this text can only be a key.
  // (Cheaper than a JSON.parse reviver, which would triple the cost of a write.)
  if (json.includes('"__proto__":')) throw new TypeError('a document record must not have a "__proto__" key')
  return JSON.parse(json) as { [key: string]: Plain }
}

/** A deep copy of a JSON value. */
export function clonePlain<T> (value: T): T {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map(clonePlain) as T
  // fromEntries defines own properties, so a "__proto__" label stays a label.
  return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, clonePlain(member)])) as T
}

/** True when two JSON values are equal, ignoring the order of object keys. */
export function plainEqual (a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => plainEqual(item, b[i]))
  }
  const left = a as Record<string, unknown>
  const right = b as Record<string, unknown>
  const keys = Object.keys(left)
  if (keys.length !== Object.keys(right).length) return false
  return keys.every(key => Object.hasOwn(right, key) && plainEqual(left[key], right[key]))
}

/** A copy of one map entry's record. */
export function readRecord<T> (map: Y.Map<unknown>, key: string): T | undefined {
  return clonePlain(map.get(key) as T | undefined)
}

/**
 * Copies of every record of a map, in key order: insertion order differs between nodes,
 * and placement must see the same input everywhere.
 */
export function readRecords<T> (map: Y.Map<unknown>): Record<string, T> {
  return Object.fromEntries(Array.from(map.keys()).sort().map(key => [key, clonePlain(map.get(key) as T)]))
}

/** About what a record adds to the document: its JSON and key (Yjs stores about as much). */
export function sizeOf (key: string, value: object): number {
  return key.length + JSON.stringify(value).length
}
