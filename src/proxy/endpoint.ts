// One upstream of a route: its address parsed once, its load, its counters, its drain.

import type { Socket } from 'node:net'
import type { EndpointStats } from './types.ts'

/** The sockets of one proxied connection, as an endpoint needs them to drain. */
export interface Relay {
  client: Socket
  upstream: Socket | null
}

export class Endpoint {
  readonly address: string
  readonly host: string
  readonly port: number
  /** Outstanding connections, connecting ones included: what the balancer compares. */
  active = 0
  total = 0
  bytesIn = 0
  bytesOut = 0
  errors = 0
  /** Date.now() until which the endpoint gets no new connections. */
  downUntil = 0
  draining = false
  readonly relays = new Set<Relay>()
  private drainTimer: NodeJS.Timeout | undefined

  constructor (address: string) {
    this.address = address
    const colon = address.lastIndexOf(':')
    const host = colon > 0 ? address.slice(0, colon) : address
    this.host = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
    this.port = colon > 0 ? Number(address.slice(colon + 1)) : Number.NaN
  }

  /** Whether "host:port" parsed into something dialable. */
  valid (): boolean {
    return this.host !== '' && Number.isInteger(this.port) && this.port > 0 && this.port < 65536
  }

  /** Stop new connections; close the open ones after drainMs unless they finish first. */
  drain (drainMs: number): void {
    if (this.draining) return
    this.draining = true
    if (this.relays.size === 0) return
    this.drainTimer = setTimeout(() => { this.closeAll() }, drainMs)
    this.drainTimer.unref()
  }

  /** Back in the route before its drain ended: keep its connections, take new ones. */
  undrain (): void {
    this.draining = false
    clearTimeout(this.drainTimer)
    this.drainTimer = undefined
  }

  /** Destroy every open connection through this endpoint at once. */
  closeAll (): void {
    clearTimeout(this.drainTimer)
    this.drainTimer = undefined
    for (const relay of this.relays) {
      relay.upstream?.destroy()
      relay.client.destroy()
    }
  }

  stats (now: number): EndpointStats {
    return {
      endpoint: this.address,
      connections: { total: this.total, active: this.active },
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      errors: this.errors,
      down: this.downUntil > now,
      draining: this.draining
    }
  }
}
