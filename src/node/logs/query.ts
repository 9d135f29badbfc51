// The query of GET /v1/services/NAME/logs, validated (a bad value is a 400 naming its
// field, nothing started), and its form as a transfer resource a member is asked for.

import { MeshdError } from '../errors.ts'
import { parseDuration } from '../spec/index.ts'
import { RESOURCE_KIND, TAIL_MAX } from './constants.ts'
import type { LogQuery } from './types.ts'

const FIELDS = new Set(['follow', 'tail', 'since', 'timestamps'])
const FLAG: Readonly<Record<string, boolean>> = { 1: true, true: true, 0: false, false: false, '': true }
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/
const UNIX = /^\d{1,12}(\.\d{1,9})?$/

/** The validated query of a logs request at `now` (ms): since is a Go duration ago, an RFC 3339 time or Unix seconds. */
export function parseLogQuery (query: unknown, now: number): LogQuery {
  const fields = (query ?? {}) as Record<string, unknown>
  for (const name of Object.keys(fields)) {
    if (!FIELDS.has(name)) invalid(name, `unknown query parameter (expected follow, tail, since, timestamps)`)
  }
  const result: LogQuery = { follow: flag(fields, 'follow'), timestamps: flag(fields, 'timestamps') }
  const tail = text(fields, 'tail')
  if (tail !== undefined && tail !== 'all') {
    if (!/^\d{1,9}$/.test(tail) || Number(tail) > TAIL_MAX) invalid('tail', `"${tail}" is not a number of lines from 0 to ${TAIL_MAX}, or "all"`)
    result.tail = Number(tail)
  }
  const since = text(fields, 'since')
  // Before 1970 is the whole log, as is 0.
  if (since !== undefined) result.since = Math.max(0, sinceOf(since, now))
  return result
}

function sinceOf (since: string, now: number): number {
  if (UNIX.test(since)) return Math.floor(Number(since) * 1000)
  if (RFC3339.test(since)) {
    const at = Date.parse(since)
    if (Number.isFinite(at)) return at
  } else {
    try {
      return now - parseDuration(since)
    } catch {}
  }
  return invalid('since', `"${since}" is not a duration (10m, 1h30m), an RFC 3339 time or Unix seconds`)
}

function flag (fields: Record<string, unknown>, name: string): boolean {
  const value = text(fields, name)
  if (value === undefined) return false
  const parsed = FLAG[value]
  if (parsed === undefined) invalid(name, `"${value}" is not 1, 0, true or false`)
  return parsed
}

function text (fields: Record<string, unknown>, name: string): string | undefined {
  const value = fields[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length > 64) invalid(name, 'give it once, as a short text')
  return value
}

function invalid (field: string, why: string): never {
  throw new MeshdError('MESHD_INVALID_SPEC', `${field}: ${why}`, field)
}

/** The transfer resource of `service`'s log on a member: logs/SERVICE/FOLLOW/TAIL/SINCE (tail "all", since "0" when not given). */
export function logResource (service: string, query: LogQuery): string {
  return [RESOURCE_KIND, service, query.follow ? '1' : '0', query.tail ?? 'all', query.since ?? 0].join('/')
}

/** The service and query of a resource from logResource; undefined when it is not one. */
export function parseLogResource (resource: string): { service: string, query: LogQuery } | undefined {
  const [kind, service, follow, tail, since, ...rest] = resource.split('/')
  if (kind !== RESOURCE_KIND || service === undefined || rest.length > 0 || (follow !== '0' && follow !== '1')) return undefined
  if (tail === undefined || !(tail === 'all' || (/^\d{1,9}$/.test(tail) && Number(tail) <= TAIL_MAX))) return undefined
  if (since === undefined || !/^\d{1,15}$/.test(since)) return undefined
  const query: LogQuery = { follow: follow === '1', timestamps: true }
  if (tail !== 'all') query.tail = Number(tail)
  if (since !== '0') query.since = Number(since)
  return { service, query }
}
