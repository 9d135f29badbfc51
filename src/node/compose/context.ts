// What every step of the translation shares: the source (for positions), the stack's
// name, the variables, the reader of files next to the Compose file, and the notes and
// problems found so far. Steps record problems and go on, so one run reports them all.

import type { ComposeProblem } from './errors.ts'
import type { ComposeSource } from './source.ts'
import type { ComposeNote, ComposePath } from './types.ts'

export interface Context {
  source: ComposeSource
  stack: string
  vars: Readonly<Record<string, string>>
  readFile: (path: string) => Buffer
  notes: ComposeNote[]
  problems: ComposeProblem[]
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/

/** `['services', 'db', 'ports', 0]` → `services.db.ports[0]`; keys that are not identifiers in brackets. */
export function formatComposePath (path: ComposePath): string {
  let text = ''
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`
    else if (IDENTIFIER.test(segment)) text += text === '' ? segment : `.${segment}`
    else text += `[${JSON.stringify(segment)}]`
  }
  return text
}

function entry (ctx: Context, path: ComposePath, why: string): ComposeNote {
  return { file: ctx.source.file, ...ctx.source.at(path), path: formatComposePath(path), why }
}

/** Records that the key at `path` was not honoured (or not as written), and why. */
export function note (ctx: Context, path: ComposePath, why: string): void {
  ctx.notes.push(entry(ctx, path, why))
}

/** Records an error at `path`: the file will not be deployed. */
export function problem (ctx: Context, path: ComposePath, why: string): void {
  ctx.problems.push(entry(ctx, path, why))
}

/** A plain object (a YAML map), or undefined for anything else. */
export function mapOf (value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined
}

/**
 * A note for each key of `map` that is neither honoured nor an extension (`x-*`, which
 * the Compose Specification says to ignore): the reason from `reasons`, else `fallback`.
 */
export function noteOthers (ctx: Context, path: ComposePath, map: Record<string, unknown>, honoured: readonly string[],
  reasons: Readonly<Record<string, string>>, fallback: string): void {
  for (const key of Object.keys(map)) {
    if (honoured.includes(key) || key.startsWith('x-')) continue
    note(ctx, [...path, key], Object.hasOwn(reasons, key) ? reasons[key]! : fallback)
  }
}

/** A number from a number or a numeric string (interpolated values are strings), else undefined. */
export function numberOf (value: unknown): number | undefined {
  if (typeof value === 'number') return value
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value)
  return undefined
}
