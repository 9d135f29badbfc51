// Sealing records: a record written on this node carries its writer's id and a
// signature over what it says and where it is filed. The document only asks a sealer
// (src/node/trust) and keeps the fields; checking seals is the reader's business.

import { plainEqual, toPlain } from './json.ts'
import type { Plain } from './json.ts'

/** Signs records written on this node. */
export interface RecordSeal {
  /** The writer's id and signature for `content` filed at (scope, key). */
  seal: (scope: string, key: string, content: { [key: string]: Plain }) => { by: string, sig: string }
}

/** A record without its seal: what the seal covers, and what decides whether a write changes anything. */
export function unsealed (value: { [key: string]: Plain }): { [key: string]: Plain } {
  const { by: _by, sig: _sig, ...content } = value
  return content
}

/** The exact text a seal signs. */
export function sealedText (scope: string, key: string, by: string, content: { [key: string]: Plain }): string {
  return `meshd-record/1\n${scope}\n${key}\n${by}\n${canonicalJson(content)}`
}

/** JSON with object keys sorted at every level: the same text for the same content on every node. */
export function canonicalJson (value: Plain): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key]!)}`).join(',')}}`
}

/**
 * The value a write stores: the record's content with the writer's seal; undefined when
 * the content is what is already there (sealed, when this node seals). Deep-equal writes
 * are skipped: the reconciler rewrites replica records on every tick, and each real
 * write leaves a tombstone in the document's history forever.
 */
export function sealedValue (current: unknown, scope: string, key: string, record: object, seal: RecordSeal | undefined): { [key: string]: Plain } | undefined {
  const content = unsealed(toPlain(record))
  const existing = current as { [key: string]: Plain } | undefined
  if (existing !== undefined && plainEqual(unsealed(existing), content) && (seal === undefined || typeof existing.sig === 'string')) return undefined
  return seal === undefined ? content : { ...content, ...seal.seal(scope, key, content) }
}
