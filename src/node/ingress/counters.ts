// Per-route counters of the ingress, kept where requests finish: requests by status
// class, body bytes both ways, retries. A route's counters outlive its removal until
// the node restarts (a counter that vanished would confuse a rate()).

import type { IngressRoute } from '../cluster/index.ts'
import type { IngressRouteStats } from './types.ts'

export class IngressCounters {
  private readonly routes = new Map<string, IngressRouteStats>()
  unrouted = 0

  /** The counters of a route (host, path and service), made on first use. */
  of (route: Pick<IngressRoute, 'host' | 'path' | 'service'>): IngressRouteStats {
    const key = `${route.host}${route.path} ${route.service}`
    let stats = this.routes.get(key)
    if (stats === undefined) {
      stats = { host: route.host, path: route.path, service: route.service, requests: {}, bytesIn: 0, bytesOut: 0, retries: 0 }
      this.routes.set(key, stats)
    }
    return stats
  }

  /** Copies, in host, path then service order. */
  snapshot (): IngressRouteStats[] {
    return [...this.routes.values()]
      .map((s) => ({ ...s, requests: { ...s.requests } }))
      .sort((a, b) => `${a.host}${a.path} ${a.service}` < `${b.host}${b.path} ${b.service}` ? -1 : 1)
  }
}

/** Counts one answered request by its status class ("2xx"). */
export function countStatus (stats: IngressRouteStats, status: number): void {
  const key = `${Math.floor(status / 100)}xx`
  stats.requests[key] = (stats.requests[key] ?? 0) + 1
}
