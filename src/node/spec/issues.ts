// Turns a validation problem into the API's error: "<path>: expected <what>, got
// <value>". zod's own English is never shown; each schema supplies the "expected"
// half (schema.ts) and the path and the value given come from here.

import type * as z from 'zod'
import { MeshdError } from '../errors.ts'
import { formatPath, type PathSegment } from './path.ts'

/** One thing wrong with a request body: where, and the text after the path. */
export interface SpecProblem {
  path: PathSegment[]
  message: string
}

const MAX_SHOWN_STRING = 60

/** The value as an error message shows it: `1.5`, `"3"`, `null`, `an array`. */
export function describeValue (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array'
  switch (typeof value) {
    case 'undefined': return 'nothing'
    case 'string': {
      const shown = JSON.stringify(value)
      return shown.length > MAX_SHOWN_STRING ? `${shown.slice(0, MAX_SHOWN_STRING)}…" (${value.length} characters)` : shown
    }
    case 'number': case 'boolean': return String(value)
    case 'object': return 'an object'
    default: return `a ${typeof value}`
  }
}

/** The problem to report among zod's issues: unknown fields first (shallowest first), then zod's order. */
export function firstProblem (issues: readonly z.core.$ZodIssue[], input: unknown): SpecProblem {
  const unknown = issues
    .filter((issue) => issue.code === 'unrecognized_keys')
    .sort((a, b) => a.path.length - b.path.length)
  // safeParse only fails with at least one issue.
  return problemFromIssue((unknown[0] ?? issues[0]) as z.core.$ZodIssue, input)
}

/** One zod issue as a SpecProblem, with the offending value looked up in `input`. */
export function problemFromIssue (issue: z.core.$ZodIssue, input: unknown): SpecProblem {
  const path = issue.path.map((segment) => typeof segment === 'symbol' ? String(segment) : segment)
  switch (issue.code) {
    case 'unrecognized_keys': {
      // Object keys come back in the input's order, so the first one is deterministic.
      const key = issue.keys[0] as string
      return { path: [...path, key], message: `unknown field, expected ${issue.message}` }
    }
    case 'invalid_key': {
      const expected = issue.issues[0]?.message ?? issue.message
      return { path, message: `invalid key, expected ${expected}, got ${describeValue(path.at(-1))}` }
    }
    default: {
      const value = valueAt(input, path)
      if (value === undefined && !hasPath(input, path)) return { path, message: `missing, expected ${issue.message}` }
      return { path, message: `expected ${issue.message}, got ${describeValue(value)}` }
    }
  }
}

/** The MeshdError for a problem; `subject` names the whole body when the path is empty. */
export function specError (problem: SpecProblem, subject: string): MeshdError {
  const path = formatPath(problem.path)
  return new MeshdError('MESHD_INVALID_SPEC', `${path === '' ? subject : path}: ${problem.message}`, path)
}

function valueAt (input: unknown, path: readonly PathSegment[]): unknown {
  let value = input
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) return undefined
    value = (value as Record<PathSegment, unknown>)[segment]
  }
  return value
}

function hasPath (input: unknown, path: readonly PathSegment[]): boolean {
  if (path.length === 0) return true
  const parent = valueAt(input, path.slice(0, -1))
  return typeof parent === 'object' && parent !== null && Object.hasOwn(parent, path.at(-1) as PathSegment)
}
