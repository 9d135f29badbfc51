// The listener of one address and port: accepts clients, applies the route's network
// policy to each (who is connecting: a local replica's service, or "external"), and
// holds the route's endpoints.

import { createServer } from 'node:net'
import { Endpoint } from './endpoint.ts'
import { relay } from './connection.ts'
import { LISTEN_BACKLOG } from './constants.ts'
import { HeldConnections } from './hold.ts'
import type { Server, Socket } from 'node:net'
import type { RelaySettings, RouteContext, ServiceCounters } from './connection.ts'
import type { EndpointStats, Route } from './types.ts'

/** What a listener needs from the proxy that owns it. */
export interface ListenerOwner {
  settings: RelaySettings
  drainTimeoutMs: number
  /** Whether one more connection fits under the cap; counts it if so. */
  admit: () => boolean
  /** A connection admitted by admit() is gone. */
  release: () => void
  /** The service of a local replica at an address; undefined for anyone else. */
  sourceOf: (address: string) => string | undefined
  meshKey: Buffer | undefined
}

export class RouteListener implements RouteContext {
  readonly service: string
  readonly published: number
  readonly address: string
  readonly meshKey: Buffer | undefined
  /** Who may connect (service names, "external"); undefined: anyone. */
  allowFrom: ReadonlySet<string> | undefined
  observeOnly = false
  readonly counters: ServiceCounters
  readonly settings: RelaySettings
  proxyProtocol = false
  live: Endpoint[] = []
  /** Live and draining endpoints, by "host:port". */
  private readonly endpoints = new Map<string, Endpoint>()
  private readonly owner: ListenerOwner
  private readonly server: Server
  private closed = false
  readonly release: () => void
  private holdMs: number | undefined
  private readonly held = new HeldConnections()

  constructor (route: Route, address: string, counters: ServiceCounters, owner: ListenerOwner) {
    this.service = route.service
    this.published = route.published
    this.address = address
    this.meshKey = owner.meshKey
    this.counters = counters
    this.owner = owner
    this.settings = owner.settings
    this.release = owner.release
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (socket) => { this.accept(socket) })
    this.server.on('error', (err) => { this.settings.log.error({ service: this.service, published: this.published, err }, 'listener error') })
    this.setRoute(route)
  }

  /** Listen on host:published; rejects with the listen error (EADDRINUSE, …). */
  listen (host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => { reject(err) }
      this.server.once('error', onError)
      // A deep accept queue: a burst of connections waits for accept() instead of SYN retries.
      this.server.listen({ host, port: this.published, backlog: LISTEN_BACKLOG }, () => {
        this.server.removeListener('error', onError)
        if (this.closed) this.server.close()
        resolve()
      })
    })
  }

  /** Take the route's endpoints: new ones join, missing ones drain, returning ones undrain. */
  setRoute (route: Route): void {
    this.proxyProtocol = route.proxyProtocol === true
    this.allowFrom = route.allowFrom === undefined ? undefined : new Set(route.allowFrom)
    this.observeOnly = route.policy === 'observe'
    this.holdMs = route.holdMs
    const wanted = new Set(route.endpoints)
    const live: Endpoint[] = []
    for (const address of wanted) {
      let ep = this.endpoints.get(address)
      if (ep === undefined) {
        ep = new Endpoint(address)
        if (!ep.valid()) {
          this.settings.log.warn({ service: this.service, endpoint: address }, 'ignoring malformed endpoint')
          continue
        }
        this.endpoints.set(address, ep)
      } else if (ep.draining) {
        ep.undrain()
      }
      live.push(ep)
    }
    for (const [address, ep] of this.endpoints) {
      if (wanted.has(address)) continue
      if (ep.relays.size === 0) { this.endpoints.delete(address); continue }
      ep.drain(this.owner.drainTimeoutMs)
    }
    this.live = live
    if (live.length > 0) this.held.release()
  }

  /** Holds a client while the route has no live endpoint, when it says to (RouteContext.hold). */
  readonly hold = (client: Socket, resume: () => void): boolean => {
    if (this.holdMs === undefined || this.closed || this.live.length > 0) return false
    this.settings.log.info({ service: this.service, published: this.published }, 'holding a connection until a replica is live')
    return this.held.hold(client, this.holdMs, resume, () => {
      this.counters.errors++
      this.settings.log.warn({ service: this.service, published: this.published, ms: this.holdMs }, 'no replica became live in time; connection refused')
    })
  }

  /** When the longest-held connection began to wait, or undefined. */
  waitingSince (): number | undefined {
    return this.held.since()
  }

  /** Stop accepting; open connections drain (or close at once with `now`). */
  close (now = false): void {
    this.closed = true
    this.held.refuseAll()
    if (this.server.listening) this.server.close()
    for (const ep of this.endpoints.values()) {
      if (now) ep.closeAll()
      else ep.drain(this.owner.drainTimeoutMs)
    }
    this.live = []
  }

  stats (now: number): EndpointStats[] {
    const out: EndpointStats[] = []
    for (const [address, ep] of this.endpoints) {
      // Forget endpoints that finished draining.
      if (ep.draining && ep.relays.size === 0) { this.endpoints.delete(address); continue }
      out.push(ep.stats(now))
    }
    return out
  }

  private accept (socket: Socket): void {
    const source = this.owner.sourceOf(socket.remoteAddress ?? '') ?? 'external'
    if (this.allowFrom !== undefined && !this.allowFrom.has(source)) {
      const tally = this.observeOnly ? this.counters.observed : this.counters.denied
      tally[source] = (tally[source] ?? 0) + 1
      if (!this.observeOnly) {
        socket.destroy()
        return
      }
    }
    if (this.closed || !this.owner.admit()) {
      this.counters.refused++
      socket.destroy()
      return
    }
    relay(socket, this, { source })
  }
}
