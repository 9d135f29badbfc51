// The pure half of the DNS server: one question and the name table in, what to answer
// (or that the question belongs upstream) out. No I/O, no clock.

import type { Answer, Question, SoaAnswer } from 'dns-packet'
import { ANSWER_TTL_S, NEGATIVE_TTL_S, ZONE } from './constants.ts'
import { canonicalName } from './table.ts'
import type { NameTable } from './table.ts'

/** What to do with a question: answer it here, with authority, or forward it upstream. */
export type Resolution =
  | { forward: true }
  | { forward: false, rcode: 'NOERROR' | 'NXDOMAIN', answers: Answer[], authorities: Answer[] }

export interface ResolveOptions {
  /** TTL of A answers, in seconds; at most ANSWER_TTL_S. */
  ttl?: number
}

const FORWARD: Resolution = { forward: true }

/**
 * The answer to `question` from `table`: names under the zone are answered here
 * (A records, NODATA for other types, NXDOMAIN for unknown names, both negatives with
 * the zone's SOA); a single-label name is tried with the table's search suffixes and
 * forwarded when none is known; every other name is forwarded.
 */
export function resolve (question: Question, table: NameTable, options: ResolveOptions = {}): Resolution {
  const name = canonicalName(question.name)
  const owner = ownerOf(name, table)
  if (owner === undefined) return FORWARD
  const addresses = table.records.get(owner)
  if (addresses === undefined) return negative('NXDOMAIN')
  const klass = question.class ?? 'IN'
  if (klass !== 'IN' && klass !== 'ANY') return negative('NOERROR')
  // Decoded questions can carry types the typings lack, ANY among them.
  const type: string = question.type
  // ANY gets the A records: the name's whole answer here, and what RFC 8482 allows.
  if ((type === 'A' || type === 'ANY') && addresses.length > 0) {
    const ttl = Math.min(options.ttl ?? ANSWER_TTL_S, ANSWER_TTL_S)
    const answers: Answer[] = addresses.map((data) => ({ name: question.name, type: 'A', class: 'IN', ttl, data }))
    return { forward: false, rcode: 'NOERROR', answers, authorities: [] }
  }
  if (type === 'SOA' && owner === ZONE) return { forward: false, rcode: 'NOERROR', answers: [soa()], authorities: [] }
  return negative('NOERROR')
}

/** The zone's SOA: the authority section of every negative answer, its minimum the negative TTL. */
export function soa (): SoaAnswer {
  return {
    name: ZONE,
    type: 'SOA',
    class: 'IN',
    ttl: NEGATIVE_TTL_S,
    data: {
      mname: ZONE,
      rname: `hostmaster.${ZONE}`,
      // Nothing transfers this zone, so the serial and the timers only have to be valid.
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86_400,
      minimum: NEGATIVE_TTL_S
    }
  }
}

/** The table's key that answers `name` (canonical): itself in the zone, a single label through the search list, else undefined (forward). */
function ownerOf (name: string, table: NameTable): string | undefined {
  if (name === ZONE || name.endsWith(`.${ZONE}`)) return name
  if (name === '' || name.includes('.')) return undefined
  return table.search.map((suffix) => `${name}.${suffix}`).find((candidate) => table.records.has(candidate))
}

function negative (rcode: 'NOERROR' | 'NXDOMAIN'): Resolution {
  return { forward: false, rcode, answers: [], authorities: [soa()] }
}
