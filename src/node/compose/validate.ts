// The structure of a Compose file, checked against the Compose Specification's own JSON
// schema (compose-spec.json, vendored: see compose-spec.NOTICE.md) before anything is
// read from it. ajv reports every branch of every oneOf; the most specific errors (the
// deepest places) are kept and each is placed at its line in the file.

import { Ajv } from 'ajv'
import type { ErrorObject, ValidateFunction } from 'ajv'
import composeSchema from './compose-spec.json' with { type: 'json' }
import type { ComposeProblem } from './errors.ts'
import { formatComposePath } from './context.ts'
import type { ComposeSource } from './source.ts'

/** The most structure errors reported for one file: the first ones say enough. */
const MAX_PROBLEMS = 20

let compiled: ValidateFunction | undefined

// Compiled on first use: the CLI pays for it only when it reads a Compose file.
function validator (): ValidateFunction {
  // strict: false, as the schema uses annotations ajv does not know ("deprecated" in draft 7);
  // its $schema is draft 7 under an https URL ajv does not know by that name, and left out.
  const { $schema: _draft7, ...schema } = composeSchema
  compiled ??= new Ajv({ allErrors: true, strict: false }).compile(schema)
  return compiled
}

/** The structure problems of an (interpolated) Compose document, at their places; empty when it is valid. */
export function structureProblems (source: ComposeSource, document: unknown): ComposeProblem[] {
  const validate = validator()
  if (validate(document)) return []
  const errors = validate.errors ?? []
  const byPath = new Map<string, ErrorObject[]>()
  for (const error of errors) byPath.set(error.instancePath, [...(byPath.get(error.instancePath) ?? []), error])
  // A place whose errors come with errors deeper inside it: the deeper ones say more.
  const leaves = [...byPath.keys()].filter((path) => ![...byPath.keys()].some((other) => other !== path && other.startsWith(`${path}/`)))
  const problems = leaves.map((pointer) => {
    const path = segmentsOf(pointer, document)
    const { at, why } = describe(path, byPath.get(pointer)!)
    return { file: source.file, ...source.at(at), path: formatComposePath(at), why }
  })
  return problems.sort((a, b) => a.line - b.line || a.column - b.column).slice(0, MAX_PROBLEMS)
}

function describe (path: Array<string | number>, errors: readonly ErrorObject[]): { at: Array<string | number>, why: string } {
  const extra = errors.find((error) => error.keyword === 'additionalProperties')
  if (extra !== undefined) {
    const key = String((extra.params as { additionalProperty: string }).additionalProperty)
    return { at: [...path, key], why: 'unknown key in the Compose Specification (a typo? extensions start with "x-")' }
  }
  const typeErrors = errors.filter((error) => error.keyword === 'type')
  // ajv writes a list of types as "number,string".
  const types = typeErrors.flatMap((error) => [(error.params as { type: string | string[] }).type].flat().join(',').split(','))
  if (typeErrors.length > 0 && typeErrors.length === errors.filter((error) => error.keyword !== 'oneOf' && error.keyword !== 'anyOf').length) {
    return { at: path, why: `must be ${[...new Set(types)].map(article).join(' or ')}` }
  }
  const specific = errors.find((error) => error.keyword !== 'oneOf' && error.keyword !== 'anyOf' && error.keyword !== 'if') ?? errors[0]!
  const allowed = (specific.params as { allowedValues?: unknown[] }).allowedValues
  return { at: path, why: allowed === undefined ? (specific.message ?? 'invalid') : `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}` }
}

function article (type: string): string {
  return { object: 'a map', array: 'a list', string: 'a string', number: 'a number', integer: 'an integer', boolean: 'true or false', null: 'empty' }[type] ?? type
}

/** A JSON pointer's segments, numbers where the document has a list. */
function segmentsOf (pointer: string, document: unknown): Array<string | number> {
  if (pointer === '') return []
  const segments: Array<string | number> = []
  let value = document
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    const segment = Array.isArray(value) ? Number(key) : key
    segments.push(segment)
    value = typeof value === 'object' && value !== null ? (value as Record<string | number, unknown>)[segment] : undefined
  }
  return segments
}
