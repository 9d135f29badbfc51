// The routing mesh of one node: a listener per address and port, kept in line with routes,
// and the mesh port where other nodes' meshes reach this node's replicas.

import { RouteListener } from './listener.ts'
import { MeshPortServer } from './mesh-port.ts'
import * as constants from './constants.ts'
import type { ListenerOwner } from './listener.ts'
import type { RelaySettings, ServiceCounters } from './connection.ts'
import type { EndpointStats, MeshPortInit, ProxyInit, ProxyStats, Route, RouteProblem, ServiceStats } from './types.ts'
import type { Logger } from '../logger.ts'

export class Proxy implements ListenerOwner {
  readonly settings: RelaySettings
  readonly drainTimeoutMs: number
  private readonly host: string
  private readonly log: Logger
  private readonly maxConnections: number
  private active = 0
  private started = false
  private routes: Route[] = []
  /** By "address:port". */
  private readonly listeners = new Map<string, RouteListener>()
  private readonly counters = new Map<string, ServiceCounters>()
  /** Listen failures by "address:port", cleared when it opens or its route goes away. */
  private readonly failures = new Map<string, RouteProblem>()
  private meshPort: MeshPortServer | undefined
  /** The service of a local replica at an address (network policy). */
  readonly sourceOf: (address: string) => string | undefined
  readonly meshKey: Buffer | undefined
  /** Routes that lost a port to another service's route, as of the last update. */
  private conflicts: RouteProblem[] = []
  readonly admit = (): boolean => {
    if (this.active >= this.maxConnections) return false
    this.active++
    return true
  }

  readonly release = (): void => { this.active-- }

  constructor (init: ProxyInit) {
    this.host = init.host
    this.log = init.log
    this.maxConnections = init.maxConnections ?? constants.MAX_CONNECTIONS
    this.drainTimeoutMs = init.drainTimeoutMs ?? constants.DRAIN_TIMEOUT_MS
    this.sourceOf = init.sourceOf ?? (() => undefined)
    this.meshKey = init.meshKey
    const unspecified = init.host === '0.0.0.0' || init.host === '::'
    this.settings = {
      localAddress: unspecified ? undefined : init.host,
      connectTimeoutMs: init.connectTimeoutMs ?? constants.CONNECT_TIMEOUT_MS,
      idleTimeoutMs: init.idleTimeoutMs ?? constants.IDLE_TIMEOUT_MS,
      endpointDownMs: constants.ENDPOINT_DOWN_MS,
      maxAttempts: constants.MAX_CONNECT_ATTEMPTS,
      log: init.log
    }
  }

  /** Open the listeners of the current routes. Idempotent. */
  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    await this.apply()
  }

  /** Close every listener and every connection at once. Idempotent. */
  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.meshPort?.close()
    this.meshPort = undefined
    for (const listener of this.listeners.values()) listener.close(true)
    this.listeners.clear()
    this.failures.clear()
    this.conflicts = []
  }

  /**
   * Make the listeners match routes: open new ports, close gone ones (their connections
   * drain), replace endpoint sets. Resolves once new listeners are open or have failed;
   * failures show in problems() and are retried on the next update. Never rejects.
   */
  async update (routes: Route[]): Promise<void> {
    this.routes = routes
    if (this.started) await this.apply()
  }

  /** Serve other nodes' hops on host:port (needs meshKey). Rejects with the listen error. */
  async serveMesh (init: MeshPortInit): Promise<void> {
    if (this.meshKey === undefined) throw new Error('the mesh port needs a meshKey')
    this.meshPort?.close()
    const server = new MeshPortServer({ ...init, key: this.meshKey, owner: this, counters: (service) => this.serviceCounters(service) })
    await server.listen(this.host)
    this.meshPort = server
    this.log.info({ port: init.port }, 'mesh port listening')
  }

  /** Routes whose port could not be listened on, and why. */
  problems (): RouteProblem[] {
    return [...this.failures.values(), ...this.conflicts]
  }

  /** Counters per service and per endpoint, as plain data. */
  stats (): ProxyStats {
    const now = Date.now()
    const byService = new Map<string, ServiceStats>()
    for (const [service, c] of this.counters) {
      byService.set(service, {
        service,
        published: [],
        connections: { total: c.total, active: c.active },
        clients: { total: c.total - c.hops.total, active: c.active - c.hops.active },
        bytesIn: c.bytesIn,
        bytesOut: c.bytesOut,
        errors: c.errors,
        retries: c.retries,
        refused: c.refused,
        denied: { ...c.denied },
        observed: { ...c.observed },
        connect: { boundsMs: constants.CONNECT_BUCKETS_MS, counts: [...c.connect.counts], sumMs: c.connect.sumMs },
        listeners: [],
        endpoints: []
      })
    }
    for (const listener of this.listeners.values()) {
      const s = byService.get(listener.service)
      if (s === undefined) continue
      if (listener.address === this.host) s.published.push(listener.published)
      s.listeners.push(`${listener.address}:${listener.published}`)
      for (const ep of listener.stats(now)) mergeEndpoint(s.endpoints, ep)
    }
    return { connections: { active: this.active, max: this.maxConnections }, services: [...byService.values()] }
  }

  /** The services a connection is held for at this node (no live endpoint yet), with when the first began to wait. */
  waiting (): Array<{ service: string, since: number }> {
    const first = new Map<string, number>()
    for (const listener of this.listeners.values()) {
      const since = listener.waitingSince()
      if (since !== undefined) first.set(listener.service, Math.min(since, first.get(listener.service) ?? since))
    }
    return [...first].map(([service, since]) => ({ service, since }))
  }

  private async apply (): Promise<void> {
    const wanted = new Map<string, Route>()
    this.conflicts = []
    for (const route of this.routes) {
      const key = this.keyOf(route)
      const other = wanted.get(key)
      if (other !== undefined && other.service !== route.service) {
        this.conflicts.push({ ...this.where(route), error: `port ${route.published} is published by ${other.service} too` })
        continue
      }
      wanted.set(key, route)
    }
    for (const c of this.conflicts) this.log.warn(c, 'port clash between services')
    for (const [key, listener] of this.listeners) {
      const route = wanted.get(key)
      if (route !== undefined && route.service === listener.service) continue
      listener.close()
      this.listeners.delete(key)
    }
    for (const key of this.failures.keys()) {
      if (!wanted.has(key)) this.failures.delete(key)
    }
    const opening: Array<Promise<void>> = []
    for (const [key, route] of wanted) {
      const existing = this.listeners.get(key)
      if (existing !== undefined) { existing.setRoute(route); continue }
      opening.push(this.open(key, route))
    }
    await Promise.all(opening)
  }

  private keyOf (route: Route): string {
    return `${route.address ?? this.host}:${route.published}`
  }

  /** A problem's service and place: the address only when it is not the node's host. */
  private where (route: Route): Omit<RouteProblem, 'error'> {
    return { service: route.service, published: route.published, ...(route.address === undefined || route.address === this.host ? {} : { address: route.address }) }
  }

  private async open (key: string, route: Route): Promise<void> {
    const address = route.address ?? this.host
    const listener = new RouteListener(route, address, this.serviceCounters(route.service), this)
    this.listeners.set(key, listener)
    try {
      await listener.listen(address)
      if (this.listeners.get(key) === listener) this.failures.delete(key)
      this.log.info({ service: route.service, address, port: route.published }, 'listening')
    } catch (err) {
      const error = (err as NodeJS.ErrnoException).code ?? (err as Error).message
      if (this.listeners.get(key) === listener) {
        this.listeners.delete(key)
        this.failures.set(key, { ...this.where(route), error })
      }
      listener.close(true)
      this.log.warn({ service: route.service, address, port: route.published, err: error }, 'cannot listen; retrying on next update')
    }
  }

  private serviceCounters (service: string): ServiceCounters {
    let c = this.counters.get(service)
    if (c === undefined) {
      c = {
        total: 0, active: 0, bytesIn: 0, bytesOut: 0, errors: 0, retries: 0, refused: 0, denied: {}, observed: {},
        connect: { counts: new Array<number>(constants.CONNECT_BUCKETS_MS.length + 1).fill(0), sumMs: 0 },
        hops: { total: 0, active: 0 }
      }
      this.counters.set(service, c)
    }
    return c
  }
}

/** One entry per endpoint: the service's address, its slots' addresses and its published port share their replicas. */
function mergeEndpoint (into: EndpointStats[], ep: EndpointStats): void {
  const same = into.find((e) => e.endpoint === ep.endpoint)
  if (same === undefined) { into.push({ ...ep, connections: { ...ep.connections } }); return }
  same.connections.total += ep.connections.total
  same.connections.active += ep.connections.active
  same.bytesIn += ep.bytesIn
  same.bytesOut += ep.bytesOut
  same.errors += ep.errors
  same.down ||= ep.down
  same.draining &&= ep.draining
}
