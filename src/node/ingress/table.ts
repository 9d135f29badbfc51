// The route table of the ingress: pure. A request's host finds its routes — the exact
// host first, then the wildcard of its parent ("*.example.com" for "a.example.com",
// one label only) — and among them the longest path prefix that matches on a segment
// boundary ("/api" matches "/api" and "/api/x", not "/apix").

import type { IngressRoute } from '../cluster/index.ts'

/** Routes by exact host and by wildcard parent, each list longest path first. */
export interface RouteTable {
  exact: Map<string, IngressRoute[]>
  wildcard: Map<string, IngressRoute[]>
}

/** The table of a list of routes (cluster/ingress.ts gives one route per host and path). */
export function routeTable (routes: readonly IngressRoute[]): RouteTable {
  const table: RouteTable = { exact: new Map(), wildcard: new Map() }
  for (const route of routes) {
    const wild = route.host.startsWith('*.')
    const map = wild ? table.wildcard : table.exact
    const key = wild ? route.host.slice(2) : route.host
    map.set(key, [...(map.get(key) ?? []), route])
  }
  for (const map of [table.exact, table.wildcard]) for (const list of map.values()) list.sort((a, b) => b.path.length - a.path.length)
  return table
}

/** The route for a request to `host` (lower-case, no port) and `path` (no query), or undefined. */
export function matchRoute (table: RouteTable, host: string, path: string): IngressRoute | undefined {
  const exact = table.exact.get(host)?.find((route) => pathMatches(route.path, path))
  if (exact !== undefined) return exact
  const dot = host.indexOf('.')
  return dot <= 0 ? undefined : table.wildcard.get(host.slice(dot + 1))?.find((route) => pathMatches(route.path, path))
}

/** Whether `prefix` (normalised: "/" or no trailing "/") covers `path`, on a segment boundary. */
export function pathMatches (prefix: string, path: string): boolean {
  return prefix === '/' || path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 0x2f)
}

/** Every endpoint a table sends to. */
export function endpointsOf (routes: readonly IngressRoute[]): Set<string> {
  return new Set(routes.flatMap((route) => route.endpoints))
}
