// A service's HTTP ingress routes, as its spec stores them (node/spec/ingress.ts validates them).

/** One ingress route: requests for `host` (exact or "*.domain") under `path` go to the replicas' `port`. */
export interface IngressRule {
  host: string
  /** A path prefix, matched on segment boundaries; "/" matches everything. */
  path: string
  port: number
  /** Served over HTTPS; a request over plain HTTP is redirected (308). */
  tls?: true
}
