// The body of POST /v1/tokens: a name, a role, optionally the services a deployer may
// change and how long the token lives.

// A namespace import, not `import { z }`: `z` is zod's object of everything, every locale too (spec/schema.ts).
import * as z from 'zod'
import { ROLES } from '../../crdt/index.ts'
import type { Role } from '../../crdt/index.ts'
import { MAX_NAME_LENGTH, MAX_TOKEN_LIFETIME_MS, MAX_TOKEN_SERVICES } from './constants.ts'
import { formatDuration, parseDuration } from './duration.ts'
import { findForbiddenKey } from './forbidden-keys.ts'
import { firstProblem, specError } from './issues.ts'

export interface TokenRequest {
  name: string
  role: Role
  services?: string[]
  /** Milliseconds from creation. */
  expiresInMs?: number
}

const nameError = `a DNS label (lowercase letters, digits and "-", starting with a letter, at most ${MAX_NAME_LENGTH} characters)`
const patternError = 'a service name, or a pattern with "*" such as "shop-*"'
const expiresError = `a duration between 1s and ${formatDuration(MAX_TOKEN_LIFETIME_MS)} such as "24h" or "30m"`

const tokenRequestSchema = z.strictObject({
  name: z.string({ error: nameError }).max(MAX_NAME_LENGTH, { error: nameError }).regex(/^[a-z](?:[a-z0-9-]*[a-z0-9])?$/, { error: nameError }),
  role: z.enum(ROLES, { error: `one of ${ROLES.join(', ')}` }),
  services: z.array(z.string({ error: patternError }).max(MAX_NAME_LENGTH, { error: patternError }).regex(/^[a-z0-9*][a-z0-9*-]*$/, { error: patternError }),
    { error: `an array of at most ${MAX_TOKEN_SERVICES} service names or patterns` }).min(1, { error: 'at least one service name or pattern' }).max(MAX_TOKEN_SERVICES, { error: `at most ${MAX_TOKEN_SERVICES} service names or patterns` }).optional(),
  expiresIn: z.string({ error: expiresError }).refine((text) => {
    try {
      const ms = parseDuration(text)
      return ms >= 1000 && ms <= MAX_TOKEN_LIFETIME_MS
    } catch {
      return false
    }
  }, { error: expiresError }).optional()
}, { error: (issue) => issue.code === 'unrecognized_keys' ? 'one of name, role, services, expiresIn' : 'an object {name, role, services?, expiresIn?}' })

/** A validated token request; throws MeshdError MESHD_INVALID_SPEC naming the field. */
export function parseTokenRequest (input: unknown): TokenRequest {
  const forbidden = findForbiddenKey(input)
  if (forbidden !== undefined) throw specError({ path: forbidden, message: 'forbidden key' }, 'body')
  const result = tokenRequestSchema.safeParse(input)
  if (!result.success) throw specError(firstProblem(result.error.issues, input), 'body')
  const { name, role, services, expiresIn } = result.data
  if (services !== undefined && role !== 'deployer') throw specError({ path: ['services'], message: 'only a deployer token may be limited to services' }, 'body')
  return { name, role, ...(services === undefined ? {} : { services }), ...(expiresIn === undefined ? {} : { expiresInMs: parseDuration(expiresIn) }) }
}
