// One upstream of a route: its address parsed once, its load, its counters, its drain.
// "ip:port" is dialled as is; "mesh://host:port/service/slot/port" is a replica of
// another node, dialled through that node's mesh port with a hop header first.

import type { Socket } from 'node:net'
import type { EndpointStats } from './types.ts'

/** The sockets of one proxied connection, as an endpoint needs them to drain. */
export interface Relay {
  client: Socket
  upstream: Socket | null
}

/** A replica behind another node's mesh port: what the hop header asks for. */
export interface MeshTarget { service: string, slot: number | undefined, port: number }

export class Endpoint {
  readonly address: string
  readonly host: string
  readonly port: number
  /** Set for an endpoint behind another node's mesh port. */
  readonly via: MeshTarget | undefined
  /**
   * Dialled from the node's own address: another node's mesh port, or anything on
   * loopback. A replica's container address is dialled from wherever the kernel routes
   * it (the bridge's gateway): a loopback source cannot reach it.
   */
  readonly fromHost: boolean
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
    const mesh = /^mesh:\/\/([^/]+)\/([a-z0-9-]+)\/(-|\d+)\/(\d+)$/.exec(address)
    const hostPort = mesh === null ? address : mesh[1]!
    const colon = hostPort.lastIndexOf(':')
    const host = colon > 0 ? hostPort.slice(0, colon) : hostPort
    this.host = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
    this.port = colon > 0 ? Number(hostPort.slice(colon + 1)) : Number.NaN
    this.via = mesh === null ? undefined : { service: mesh[2]!, slot: mesh[3] === '-' ? undefined : Number(mesh[3]), port: Number(mesh[4]) }
    this.fromHost = this.via !== undefined || this.host.startsWith('127.') || this.host === '::1'
  }

  /** Whether the address parsed into something dialable. */
  valid (): boolean {
    const portOk = (p: number): boolean => Number.isInteger(p) && p > 0 && p < 65536
    return this.host !== '' && portOk(this.port) && (this.via === undefined || portOk(this.via.port))
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
