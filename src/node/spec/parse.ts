// The entry points for request bodies. Order matters: forbidden keys are looked for
// before anything reads or copies the body, then the shape (zod), then the rules
// across fields, and only a body that passed everything is rebuilt as a spec.

import { isDeepStrictEqual } from 'node:util'
import type { ServiceSpec } from '../../crdt/index.ts'
import { MAX_REPLICAS } from './constants.ts'
import { MeshdError } from '../errors.ts'
import { findForbiddenKey } from './forbidden-keys.ts'
import { firstProblem, specError } from './issues.ts'
import { normaliseSpec } from './normalise.ts'
import { formatPath } from './path.ts'
import { crossFieldProblem } from './rules.ts'
import { scaleRequestSchema, serviceSpecSchema } from './schema.ts'

export interface ParseServiceSpecOptions {
  /** The name from the URL (`PUT /v1/services/NAME`): the body may omit `name`, but not contradict it. */
  name?: string
}

/** A new, validated and normalised ServiceSpec from a request body; throws MeshdError MESHD_INVALID_SPEC (or MESHD_NAME_MISMATCH). */
export function parseServiceSpec (input: unknown, opts: ParseServiceSpecOptions = {}): ServiceSpec {
  rejectForbiddenKeys(input, 'spec')
  const body = opts.name === undefined ? input : withNameFromUrl(input, opts.name)
  const result = serviceSpecSchema.safeParse(body)
  if (!result.success) throw specError(firstProblem(result.error.issues, body), 'spec')
  const problem = crossFieldProblem(result.data)
  if (problem !== undefined) throw specError(problem, 'spec')
  return normaliseSpec(result.data)
}

/**
 * Why a spec read from the cluster document is not one the API would have stored
 * (valid, and in the normal form normaliseSpec gives), or undefined when it is.
 */
export function storedSpecProblem (spec: unknown, name: string): string | undefined {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return 'spec: expected an object'
  const stored = spec as Record<string, unknown>
  // A global service stores the replica count it was given or scaled to; the API refuses one on input.
  const global = stored.mode === 'global'
  const { replicas, ...rest } = stored
  // The versions secrets and configs resolved to are the API's, not the user's: checked apart.
  const versions = { secrets: resolvedVersions(stored.secrets), configs: resolvedVersions(stored.configs) }
  if (versions.secrets === undefined || versions.configs === undefined) return 'spec: a secret or config without the version it resolved to'
  let normal: ServiceSpec
  try {
    normal = parseServiceSpec(withoutVersions(global ? rest : stored), { name })
  } catch (err) {
    return `spec.${(err as Error).message}`
  }
  if (global && Number.isInteger(replicas) && (replicas as number) >= 0 && (replicas as number) <= MAX_REPLICAS) normal.replicas = replicas as number
  normal.secrets?.forEach((ref, i) => { ref.version = versions.secrets![i] })
  normal.configs?.forEach((ref, i) => { ref.version = versions.configs![i] })
  return isDeepStrictEqual(normal, stored) ? undefined : 'spec: not in the form the API stores (a field is missing, extra or not normalised)'
}

/** The version of each reference of a stored list (absent list: none), or undefined when one has none. */
function resolvedVersions (refs: unknown): number[] | undefined {
  if (!Array.isArray(refs)) return []
  const versions = refs.map((ref) => (typeof ref === 'object' && ref !== null ? (ref as { version?: unknown }).version : undefined))
  return versions.every((v): v is number => Number.isSafeInteger(v) && (v as number) >= 1) ? versions : undefined
}

function withoutVersions (spec: Record<string, unknown>): Record<string, unknown> {
  const strip = (refs: unknown): unknown => Array.isArray(refs)
    ? refs.map((ref) => { const { version: _v, ...rest } = ref as Record<string, unknown>; return rest })
    : refs
  return { ...spec, ...('secrets' in spec ? { secrets: strip(spec.secrets) } : {}), ...('configs' in spec ? { configs: strip(spec.configs) } : {}) }
}

/** The body of `POST /v1/services/NAME/scale`, exactly `{"replicas": n}`; throws MeshdError MESHD_INVALID_SPEC. */
export function parseScaleRequest (input: unknown): { replicas: number } {
  rejectForbiddenKeys(input, 'body')
  const result = scaleRequestSchema.safeParse(input)
  if (!result.success) throw specError(firstProblem(result.error.issues, input), 'body')
  return { replicas: result.data.replicas }
}

function rejectForbiddenKeys (input: unknown, subject: string): void {
  const path = findForbiddenKey(input)
  if (path === undefined) return
  throw specError({ path, message: 'forbidden key, expected a field name other than __proto__, constructor or prototype' }, subject)
}

// Leaves anything but an object to the schema, which explains what a body must be.
function withNameFromUrl (input: unknown, urlName: string): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input
  const bodyName: unknown = Object.hasOwn(input, 'name') ? (input as Record<string, unknown>).name : undefined
  if (bodyName === undefined) return { ...input, name: urlName }
  if (typeof bodyName === 'string' && bodyName !== urlName) {
    throw new MeshdError(
      'MESHD_NAME_MISMATCH',
      `name: the body says ${JSON.stringify(bodyName)} but the URL says ${JSON.stringify(urlName)}, expected the same name or none`,
      formatPath(['name'])
    )
  }
  return input
}
