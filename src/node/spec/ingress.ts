// A service's HTTP ingress: the host names (and path prefixes) every node's ingress
// routes to one of its ports. Hosts are stored lower-cased, paths without a trailing "/"
// (but "/" itself), so two ways of writing one route are one route.

import * as z from 'zod'
import type { IngressRule } from '../../crdt/index.ts'
import { MAX_INGRESS_PATH_LENGTH, MAX_INGRESS_RULES, MAX_PORT, MIN_PORT } from './constants.ts'
import type { SpecProblem } from './issues.ts'
import { integer, strictObject } from './shapes.ts'

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?'
const DNS_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`)
// The path goes into a request line and a route table: no whitespace, control characters, query or fragment.
const INGRESS_PATH = /^\/[^\s\p{Cc}?#]*$/u

/** Whether `host` (lower-case) is a DNS name, or "*." and a DNS name (a wildcard of one label). */
export function isIngressHost (host: string): boolean {
  return DNS_NAME.test(host.startsWith('*.') ? host.slice(2) : host)
}

const hostError = 'a DNS name such as "shop.example.com", or "*." and a DNS name such as "*.example.com"'
const host = z.string({ error: hostError }).transform((text, ctx) => {
  const lower = text.trim().toLowerCase()
  if (isIngressHost(lower)) return lower
  ctx.addIssue({ code: 'custom', message: hostError })
  return z.NEVER
})

const pathError = `a path starting with "/" without whitespace, control characters, "?" or "#", at most ${MAX_INGRESS_PATH_LENGTH} characters`
const path = z.string({ error: pathError }).max(MAX_INGRESS_PATH_LENGTH, { error: pathError }).regex(INGRESS_PATH, { error: pathError })

const ingressError = `an array of at most ${MAX_INGRESS_RULES} {host, path, port, tls} objects`
/** `ingress` of a service spec. */
export const ingressSchema = z.array(strictObject({
  host,
  path: path.optional(),
  port: integer(MIN_PORT, MAX_PORT),
  tls: z.boolean({ error: 'true or false' }).optional()
}, 'an object {host, path, port, tls}'), { error: ingressError }).max(MAX_INGRESS_RULES, { error: ingressError })

type IngressInput = z.output<typeof ingressSchema>

/** The stored form of a path: "/api/" and "/api" are one route. */
export function normalisePath (path: string | undefined): string {
  if (path === undefined || path === '/') return '/'
  const trimmed = path.replace(/\/+$/, '')
  return trimmed === '' ? '/' : trimmed
}

/** Why a spec's ingress breaks a rule across fields (a port the service lacks, a route given twice), or undefined. */
export function ingressProblem (ingress: IngressInput | undefined, ports: ReadonlyArray<{ target: number, proxyProtocol?: boolean }>): SpecProblem | undefined {
  const targets = new Set(ports.map((p) => p.target))
  const proxied = new Set(ports.filter((p) => p.proxyProtocol === true).map((p) => p.target))
  const seen = new Map<string, number>()
  for (const [index, rule] of (ingress ?? []).entries()) {
    if (!targets.has(rule.port)) {
      const known = targets.size === 0 ? 'the service has no ports: add one to ports' : `one of ports[].target (${[...targets].join(', ')})`
      return { path: ['ingress', index, 'port'], message: `expected ${known}, got ${rule.port}` }
    }
    // Pooled upstream connections carry many clients' requests: the client is in X-Forwarded-For, not a PROXY header.
    if (proxied.has(rule.port)) return { path: ['ingress', index, 'port'], message: `expected a port without proxyProtocol (the ingress tells the client in X-Forwarded-For), got ${rule.port}` }
    const key = `${rule.host}${normalisePath(rule.path)}`
    const earlier = seen.get(key)
    if (earlier !== undefined) return { path: ['ingress', index, 'path'], message: `expected a host and path not already routed by ingress[${earlier}], got ${JSON.stringify(key)}` }
    seen.set(key, index)
  }
  return undefined
}

/** The stored form of ingress: hosts lower-cased (schema), paths normalised, `tls` only when true. */
export function normaliseIngress (ingress: IngressInput): IngressRule[] {
  return ingress.map((rule) => ({ host: rule.host, path: normalisePath(rule.path), port: rule.port, ...(rule.tls === true ? { tls: true } : {}) }))
}
