// The ingress's upstreams: one keep-alive http.Agent per endpoint, so requests to a
// replica reuse its connections. An endpoint of this node ("ip:port") is dialled as is;
// another node's ("mesh://host:port/service/slot/port") through that node's mesh port,
// opening with the hop header signed with the mesh key, as the mesh's own hops do.
// Balancing is the mesh's: two random endpoints, the one with fewer requests in flight.

import { Agent } from 'node:http'
import type { ClientRequestArgs } from 'node:http'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { encodeMeshHeader } from '../../proxy/index.ts'
import { DRAIN_MS, ENDPOINT_DOWN_MS, FREE_SOCKET_TIMEOUT_MS, MAX_FREE_SOCKETS } from './constants.ts'

interface Target { host: string, port: number, via?: { service: string, slot?: number, port: number } }

/** "ip:port" or "mesh://host:port/service/slot/port" as a dial target, or undefined. */
export function parseEndpoint (endpoint: string): Target | undefined {
  const mesh = /^mesh:\/\/([^/]+):(\d+)\/([a-z0-9-]+)\/(-|\d+)\/(\d+)$/.exec(endpoint)
  if (mesh !== null) {
    const slot = mesh[4] === '-' ? {} : { slot: Number(mesh[4]) }
    return { host: mesh[1]!, port: Number(mesh[2]), via: { service: mesh[3]!, ...slot, port: Number(mesh[5]) } }
  }
  const plain = /^([^:]+):(\d+)$/.exec(endpoint)
  return plain === null ? undefined : { host: plain[1]!, port: Number(plain[2]) }
}

class UpstreamAgent extends Agent {
  inFlight = 0
  downUntil = 0
  readonly target: Target
  private readonly dial: (target: Target) => Socket

  constructor (target: Target, dial: (target: Target) => Socket) {
    super({ keepAlive: true, maxFreeSockets: MAX_FREE_SOCKETS, scheduling: 'lifo', timeout: FREE_SOCKET_TIMEOUT_MS })
    this.target = target
    this.dial = dial
  }

  override createConnection (_options: ClientRequestArgs): Duplex {
    return this.dial(this.target)
  }
}

export interface UpstreamsInit {
  /** The node's address: mesh hops and loopback upstreams leave from it. */
  host: string
  meshKey?: Buffer
}

export class Upstreams {
  private readonly agents = new Map<string, UpstreamAgent>()
  private readonly leaving = new Set<NodeJS.Timeout>()
  private readonly init: UpstreamsInit

  constructor (init: UpstreamsInit) {
    this.init = init
  }

  /** The pooled agent of an endpoint, or undefined for one that does not parse. */
  agent (endpoint: string): UpstreamAgent | undefined {
    let agent = this.agents.get(endpoint)
    if (agent !== undefined) return agent
    const target = parseEndpoint(endpoint)
    if (target === undefined) return undefined
    agent = new UpstreamAgent(target, (t) => this.dial(t))
    this.agents.set(endpoint, agent)
    return agent
  }

  /** A fresh connection to an endpoint, not pooled (an upgrade takes it over). */
  connection (endpoint: string): Socket | undefined {
    const target = parseEndpoint(endpoint)
    return target === undefined ? undefined : this.dial(target)
  }

  /** Power of two choices among the endpoints not tried and not down (then any not down, then any not tried). */
  pick (endpoints: readonly string[], tried: ReadonlySet<string>, now = Date.now()): string | undefined {
    const down = (e: string): boolean => (this.agents.get(e)?.downUntil ?? 0) > now
    const pools = [endpoints.filter((e) => !tried.has(e) && !down(e)), endpoints.filter((e) => !down(e)), endpoints.filter((e) => !tried.has(e))]
    const pool = pools.find((p) => p.length > 0)
    if (pool === undefined) return undefined
    const a = pool[Math.floor(Math.random() * pool.length)]!
    const b = pool[Math.floor(Math.random() * pool.length)]!
    return (this.agents.get(a)?.inFlight ?? 0) <= (this.agents.get(b)?.inFlight ?? 0) ? a : b
  }

  /** The endpoint refused or timed out: no new requests for ENDPOINT_DOWN_MS. */
  markDown (endpoint: string, now = Date.now()): void {
    const agent = this.agents.get(endpoint)
    if (agent !== undefined) agent.downUntil = now + ENDPOINT_DOWN_MS
  }

  /** Drops the agents of endpoints no route has now: idle connections at once, busy ones after DRAIN_MS. */
  retain (wanted: ReadonlySet<string>): void {
    for (const [endpoint, agent] of this.agents) {
      if (wanted.has(endpoint)) continue
      this.agents.delete(endpoint)
      for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy()
      const timer = setTimeout(() => { this.leaving.delete(timer); agent.destroy() }, DRAIN_MS)
      timer.unref()
      this.leaving.add(timer)
    }
  }

  /** Closes every pooled connection. */
  stop (): void {
    for (const agent of this.agents.values()) agent.destroy()
    this.agents.clear()
    for (const timer of this.leaving) clearTimeout(timer)
    this.leaving.clear()
  }

  private dial (target: Target): Socket {
    const fromHost = target.via !== undefined || target.host.startsWith('127.')
    const local = fromHost && this.init.host !== '0.0.0.0' ? { localAddress: this.init.host } : {}
    const socket = connect({ host: target.host, port: target.port, noDelay: true, ...local })
    if (target.via !== undefined) {
      if (this.init.meshKey === undefined) {
        socket.destroy(new Error('an endpoint behind a mesh port, but no mesh key'))
        return socket
      }
      const { service, slot, port } = target.via
      // Written before the connect completes: it leaves first, then the request.
      socket.write(encodeMeshHeader(this.init.meshKey, { service, port, ...(slot === undefined ? {} : { slot }), source: 'external' }))
    }
    return socket
  }
}
