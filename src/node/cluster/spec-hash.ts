// What a replica was built from, as a short hash: two specs written at the same moment on
// two nodes may both become generation 2, and only one survives the merge. A container
// labelled with the other's hash is then replaced, though its generation matches.

import type { ServiceRecord, ServiceSpec } from '../../crdt/index.ts'
import { canonicalJson, unsealed } from '../../crdt/index.ts'
import type { Plain } from '../../crdt/index.ts'
import { hash32 } from '../../placement/index.ts'

/** 64 bits of the spec's canonical JSON, as 16 hex digits: the same on every node. */
export function specHash (spec: ServiceSpec): string {
  return hex64(canonicalJson(spec as unknown as Plain))
}

/** A service record's version (its ETag): changes with anything written to it, whoever wrote it. */
export function recordVersion (record: ServiceRecord): string {
  return hex64(canonicalJson(unsealed(record as unknown as { [key: string]: Plain })))
}

function hex64 (text: string): string {
  return [hash32(text, 0), hash32(text, 1)].map((h) => (h >>> 0).toString(16).padStart(8, '0')).join('')
}
