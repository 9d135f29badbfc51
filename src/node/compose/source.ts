// The Compose file as YAML: its plain value, and where each key or item was written,
// so every note and error can say file:line:column. YAML anchors, aliases and merge
// keys ("<<") work as in docker compose; a key reached through a merge or an alias is
// placed at the nearest key written in the map itself.

import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml'
import type { Document, Node } from 'yaml'
import { ComposeError } from './errors.ts'
import type { ComposePath, Position } from './types.ts'

/** The most aliases one file may expand: a guard against "billion laughs" documents. */
const MAX_ALIAS_COUNT = 1000

export interface ComposeSource {
  file: string
  value: unknown
  /** Where the last segment of `path` was written (its key, or its item), else the nearest enclosing one. */
  at: (path: ComposePath) => Position
  /** The text of a scalar as written (`0440`), when it is one. */
  sourceOf: (path: ComposePath) => string | undefined
}

/** Parses the text; throws ComposeError with the positions of YAML syntax errors. */
export function readSource (file: string, text: string): ComposeSource {
  const lines = new LineCounter()
  const document = parseDocument(text, { lineCounter: lines, merge: true, prettyErrors: false })
  if (document.errors.length > 0) {
    throw new ComposeError(document.errors.map((error) => {
      const { line, col } = lines.linePos(error.pos[0])
      return { file, line, column: col, path: '', why: `invalid YAML: ${error.message.split('\n')[0]}` }
    }))
  }
  let value: unknown
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  } catch (err) {
    throw new ComposeError([{ file, line: 1, column: 1, path: '', why: `invalid YAML: ${(err as Error).message}` }])
  }
  const position = (offset: number): Position => {
    const { line, col } = lines.linePos(offset)
    return { line, column: col }
  }
  return {
    file,
    value,
    at: (path) => position(locate(document, path).offset),
    sourceOf: (path) => {
      const { node, found } = locate(document, path)
      return found && isScalar(node) ? node.source : undefined
    }
  }
}

interface Located { node: unknown, offset: number, found: boolean }

function locate (document: Document, path: ComposePath): Located {
  let node: unknown = document.contents
  let offset = rangeStart(node) ?? 0
  for (const segment of path) {
    node = resolved(document, node)
    const next = child(document, node, segment)
    if (next === undefined) return { node, offset, found: false }
    node = next.value
    offset = next.offset
  }
  return { node: resolved(document, node), offset, found: true }
}

/** The child at `segment` and the offset of its key (maps) or item (sequences). */
function child (document: Document, node: unknown, segment: string | number): { value: unknown, offset: number } | undefined {
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment]
    const offset = rangeStart(item)
    return item === undefined || offset === undefined ? undefined : { value: item, offset }
  }
  if (!isMap(node)) return undefined
  for (const pair of node.items) {
    if (isScalar(pair.key) && String(pair.key.value) === String(segment)) return { value: pair.value, offset: rangeStart(pair.key) ?? 0 }
  }
  // A key merged in with "<<": found in the merged map, placed where it was written.
  for (const pair of node.items) {
    if (!isScalar(pair.key) || typeof pair.key.value !== 'symbol') continue
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value]
    for (const source of sources) {
      const found = child(document, resolved(document, source), segment)
      if (found !== undefined) return found
    }
  }
  return undefined
}

function resolved (document: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(document) : node
}

function rangeStart (node: unknown): number | undefined {
  return (node as Node | undefined)?.range?.[0]
}
