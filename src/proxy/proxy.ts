// The routing mesh of one node: a listener per published port, kept in line with routes.

import { RouteListener } from './listener.ts'
import * as constants from './constants.ts'
import type { ListenerOwner } from './listener.ts'
import type { RelaySettings, ServiceCounters } from './connection.ts'
import type { ProxyInit, ProxyStats, Route, RouteProblem, ServiceStats } from './types.ts'
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
  private readonly listeners = new Map<number, RouteListener>()
  private readonly counters = new Map<string, ServiceCounters>()
  /** Listen failures by port, cleared when the port opens or its route goes away. */
  private readonly failures = new Map<number, RouteProblem>()
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
        bytesIn: c.bytesIn,
        bytesOut: c.bytesOut,
        errors: c.errors,
        retries: c.retries,
        refused: c.refused,
        endpoints: []
      })
    }
    for (const listener of this.listeners.values()) {
      const s = byService.get(listener.service)
      if (s === undefined) continue
      s.published.push(listener.published)
      s.endpoints.push(...listener.stats(now))
    }
    return { connections: { active: this.active, max: this.maxConnections }, services: [...byService.values()] }
  }

  private async apply (): Promise<void> {
    const wanted = new Map<number, Route>()
    this.conflicts = []
    for (const route of this.routes) {
      const other = wanted.get(route.published)
      if (other !== undefined && other.service !== route.service) {
        this.conflicts.push({ service: route.service, published: route.published, error: `port ${route.published} is published by ${other.service} too` })
        continue
      }
      wanted.set(route.published, route)
    }
    for (const c of this.conflicts) this.log.warn(c, 'port clash between services')
    for (const [port, listener] of this.listeners) {
      const route = wanted.get(port)
      if (route !== undefined && route.service === listener.service) continue
      listener.close()
      this.listeners.delete(port)
    }
    for (const port of this.failures.keys()) {
      if (!wanted.has(port)) this.failures.delete(port)
    }
    const opening: Array<Promise<void>> = []
    for (const [port, route] of wanted) {
      const existing = this.listeners.get(port)
      if (existing !== undefined) { existing.setRoute(route); continue }
      opening.push(this.open(route))
    }
    await Promise.all(opening)
  }

  private async open (route: Route): Promise<void> {
    const listener = new RouteListener(route, this.serviceCounters(route.service), this)
    this.listeners.set(route.published, listener)
    try {
      await listener.listen(this.host)
      if (this.listeners.get(route.published) === listener) this.failures.delete(route.published)
      this.log.info({ service: route.service, published: route.published }, 'listening')
    } catch (err) {
      const error = (err as NodeJS.ErrnoException).code ?? (err as Error).message
      if (this.listeners.get(route.published) === listener) {
        this.listeners.delete(route.published)
        this.failures.set(route.published, { service: route.service, published: route.published, error })
      }
      listener.close(true)
      this.log.warn({ service: route.service, published: route.published, err: error }, 'cannot listen; retrying on next update')
    }
  }

  private serviceCounters (service: string): ServiceCounters {
    let c = this.counters.get(service)
    if (c === undefined) {
      c = { total: 0, active: 0, bytesIn: 0, bytesOut: 0, errors: 0, retries: 0, refused: 0 }
      this.counters.set(service, c)
    }
    return c
  }
}
