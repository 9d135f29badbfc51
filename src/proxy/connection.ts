// One client connection: dial an upstream (retrying others on a connect failure), then
// relay both ways with backpressure and half-close. The hot path: handlers are shared
// functions that find their state on the socket, so a connection allocates one object.

import { Socket } from 'node:net'
import { pick } from './balancer.ts'
import { proxyHeader } from './proxy-protocol.ts'
import type { Endpoint, Relay } from './endpoint.ts'
import { CONNECT_BUCKETS_MS, REPLAY_LIMIT } from './constants.ts'
import { hopHeader } from './mesh-header.ts'
import type { Origin, RouteContext } from './context.ts'
export type { Origin, RelaySettings, RouteContext, ServiceCounters } from './context.ts'

const STATE = Symbol('meshd.proxy.connection')
type Tagged = Socket & { [STATE]: Connection }


class Connection implements Relay {
  readonly client: Socket
  readonly route: RouteContext
  upstream: Socket | null = null
  endpoint: Endpoint | null = null
  attempts = 0
  /** When the current upstream was dialled (performance.now()), for the connect-latency histogram. */
  dialedAt = 0
  connected = false
  clientClosed = false
  /** The client has half-closed (its FIN is to be passed on after any replay). */
  clientEnded = false
  /** The upstream has sent a byte: from then on no replay. */
  answered = false
  /** Client bytes sent to the upstream before it answered; null once too many or answered. */
  replay: Buffer[] | null = []
  replayBytes = 0
  readonly origin: Origin

  constructor (client: Socket, route: RouteContext, origin: Origin) {
    this.client = client
    this.route = route
    this.origin = origin
  }
}

/** Take over an accepted (paused) client socket and relay it to an endpoint of route. */
export function relay (client: Socket, route: RouteContext, origin: Origin = { source: 'external' }): void {
  const c = new Connection(client, route, origin)
  ;(client as Tagged)[STATE] = c
  route.counters.total++
  route.counters.active++
  if (route.hop === true) { route.counters.hops.total++; route.counters.hops.active++ }
  client.on('error', onClientError)
  client.on('close', onClientClose)
  client.on('timeout', onIdle)
  // Explicitly paused, so the replay listener does not start the flow before an upstream is there.
  client.pause()
  client.on('data', onClientData)
  client.once('end', onClientEnd)
  dial(c)
}

function onClientData (this: Tagged, chunk: Buffer): void {
  const c = this[STATE]
  if (c.replay === null) return
  c.replayBytes += chunk.length
  if (c.replayBytes > REPLAY_LIMIT) forgetReplay(c)
  else c.replay.push(chunk)
}

function onClientEnd (this: Tagged): void {
  this[STATE].clientEnded = true
}

function forgetReplay (c: Connection): void {
  c.replay = null
  c.client.removeListener('data', onClientData)
}

function dial (c: Connection): void {
  const { route } = c
  const ep = pick(route.live, Date.now())
  if (ep === undefined) {
    if (c.attempts === 0 && route.hold?.(c.client, () => { if (!c.clientClosed) dial(c) }) === true) return
    route.counters.errors++
    route.settings.log.debug({ service: route.service }, 'no endpoint')
    c.client.destroy()
    return
  }
  c.attempts++
  c.endpoint = ep
  ep.active++
  ep.relays.add(c)
  // Upstream bytes arrive through onread: no stream machinery on the hot direction of a download.
  const up = new Socket({ allowHalfOpen: true, onread: { buffer: READ_BUFFER, callback: onUpstreamRead } }) as Tagged
  up[STATE] = c
  c.upstream = up
  up.setTimeout(route.settings.connectTimeoutMs)
  up.on('timeout', onConnectTimeout)
  up.on('error', onUpstreamError)
  up.on('close', onUpstreamClose)
  up.once('connect', onUpstreamConnect)
  up.setNoDelay(true)
  c.dialedAt = performance.now()
  up.connect({ host: ep.host, port: ep.port, localAddress: ep.fromHost ? route.settings.localAddress : undefined })
}

function onUpstreamConnect (this: Tagged): void {
  const c = this[STATE]
  if (c.upstream !== this) return
  if (c.clientClosed) { this.destroy(); return }
  c.connected = true
  c.endpoint!.total++
  observeConnect(c.route.counters.connect, performance.now() - c.dialedAt)
  this.setTimeout(0)
  this.removeListener('timeout', onConnectTimeout)
  const client = c.client
  const via = c.endpoint!.via
  const from = c.origin.client ?? { address: client.remoteAddress ?? '', port: client.remotePort ?? 0 }
  if (via !== undefined) {
    // Another node's replica: the hop header first; that node writes any PROXY header.
    this.write(hopHeader(c.route, via, c.origin.source, from))
  } else if (c.route.proxyProtocol) {
    this.write(proxyHeader(from.address, from.port, client.localAddress, client.localPort))
  }
  client.setTimeout(c.route.settings.idleTimeoutMs)
  if (c.replay !== null) {
    // A retry after an empty answer: what the client sent so far, then its FIN if it came.
    for (const chunk of c.replay) this.write(chunk)
    if (c.clientEnded) this.end()
  }
  if (!c.clientEnded) client.pipe(this)
  // An upstream that closes without answering may be retried; onUpstreamEnd passes the FIN on.
  this.on('end', onUpstreamEnd)
  client.resume()
}

/** One connect's latency into its service's histogram: a short scan of a dozen bounds. */
function observeConnect (connect: { counts: number[], sumMs: number }, ms: number): void {
  let i = 0
  while (i < CONNECT_BUCKETS_MS.length && ms > CONNECT_BUCKETS_MS[i]!) i++
  connect.counts[i] = (connect.counts[i] ?? 0) + 1
  connect.sumMs += ms
}

/**
 * The one buffer every upstream read lands in. Reads are handled one at a time on the
 * event loop and onUpstreamRead copies each out before returning, so sharing it is
 * safe — and an idle upstream socket holds no read buffer of its own.
 */
const READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024)
/** Read buffers' worth of copies kept for reuse (at most SPARES_KEPT × 64 KiB = 2 MiB). */
const SPARES: Buffer[] = []
const SPARES_KEPT = 32
/** Reads at least this large are copied into a spare. */
const SPARE_MIN_BYTES = 16 * 1024

/** Upstream → client, with backpressure: returning false pauses the upstream until the client drains. */
function onUpstreamRead (this: Tagged, length: number, chunk: Buffer): boolean {
  const c = this[STATE]
  if (c.upstream !== this || c.clientClosed) return false
  if (!c.answered) {
    c.answered = true
    if (c.replay !== null) forgetReplay(c)
  }
  // A copy: the next read, of any socket, reuses READ_BUFFER. Small copies come from
  // Node's pool; a large one from SPARES, where it returns once the client's socket has
  // written it, so a download allocates (and the GC collects) nothing per read.
  let written: boolean
  if (length < SPARE_MIN_BYTES) {
    const data = Buffer.allocUnsafe(length)
    chunk.copy(data, 0, 0, length)
    written = c.client.write(data)
  } else {
    const spare = SPARES.pop() ?? Buffer.allocUnsafeSlow(READ_BUFFER.length)
    chunk.copy(spare, 0, 0, length)
    written = c.client.write(spare.subarray(0, length), () => { if (SPARES.length < SPARES_KEPT) SPARES.push(spare) })
  }
  if (written) return true
  c.client.once('drain', onClientDrain)
  return false
}

function onClientDrain (this: Tagged): void {
  const c = this[STATE]
  if (c.upstream !== null && !c.upstream.destroyed) c.upstream.resume()
}

/**
 * Whether an upstream that went away without a byte can be replaced by another: only
 * while the client is still sending (it has not half-closed), or when the upstream reset
 * the connection. A server that read a whole request (FIN included) and closed cleanly
 * without answering may have acted on it: that is passed on, never replayed.
 */
function replayable (c: Connection, reset: boolean): boolean {
  return c.connected && !c.answered && c.replay !== null && !c.clientClosed && (reset || !c.clientEnded) &&
    c.attempts < c.route.settings.maxAttempts
}

/** The upstream closed or failed before answering: mark its endpoint down and try another. */
function retryEmpty (c: Connection, up: Tagged): void {
  const ep = c.endpoint!
  ep.errors++
  c.route.counters.errors++
  markDown(c, ep, 'closed without answering')
  c.client.unpipe(up)
  up.destroy()
  c.connected = false
  detach(c)
  c.route.counters.retries++
  c.client.pause()
  dial(c)
}

function onUpstreamEnd (this: Tagged): void {
  const c = this[STATE]
  if (c.upstream !== this) return
  if (replayable(c, false)) { retryEmpty(c, this); return }
  c.client.end()
}

function onConnectTimeout (this: Tagged): void {
  this.destroy(new Error('connect timeout'))
}

function onUpstreamError (this: Tagged, err: Error): void {
  const c = this[STATE]
  const ep = c.endpoint
  if (c.upstream !== this || ep === null) return
  if (replayable(c, true)) { retryEmpty(c, this); return }
  ep.errors++
  c.route.counters.errors++
  if (c.connected) { c.client.destroy(); return }
  // A connect failure: the endpoint sits out a moment and another one is tried.
  const { settings } = c.route
  markDown(c, ep, err.message)
  detach(c)
  if (c.clientClosed) return
  if (c.attempts >= settings.maxAttempts) { c.client.destroy(); return }
  c.route.counters.retries++
  dial(c)
}

function markDown (c: Connection, ep: Endpoint, why: string): void {
  const now = Date.now()
  const { settings } = c.route
  if (ep.downUntil <= now) settings.log.warn({ service: c.route.service, endpoint: ep.address, err: why }, 'endpoint marked down')
  ep.downUntil = now + settings.endpointDownMs
}

function onUpstreamClose (this: Tagged, hadError: boolean): void {
  const c = this[STATE]
  if (c.upstream !== this) return
  if (replayable(c, hadError)) { retryEmpty(c, this); return }
  // The upstream is gone: flush what it sent, then close the client too.
  if (hadError) c.client.destroy()
  else c.client.destroySoon()
}

function onClientError (this: Tagged): void {
  const c = this[STATE]
  if (!c.connected) return
  c.route.counters.errors++
  if (c.endpoint !== null) c.endpoint.errors++
}

function onIdle (this: Tagged): void {
  const c = this[STATE]
  c.upstream?.destroy()
  this.destroy()
}

function onClientClose (this: Tagged, hadError: boolean): void {
  const c = this[STATE]
  c.clientClosed = true
  const { counters } = c.route
  counters.active--
  if (c.route.hop === true) counters.hops.active--
  counters.bytesIn += this.bytesRead
  counters.bytesOut += this.bytesWritten
  const up = c.upstream
  if (up !== null) {
    const ep = c.endpoint!
    ep.bytesIn += this.bytesRead
    ep.bytesOut += this.bytesWritten
    if (hadError || !c.connected) up.destroy()
    else up.destroySoon()
    detach(c)
  }
  c.route.release()
}

// The connection no longer counts against its endpoint (its upstream socket may linger).
function detach (c: Connection): void {
  const ep = c.endpoint
  if (ep === null) return
  ep.active--
  ep.relays.delete(c)
  c.endpoint = null
  if (!c.clientClosed) c.upstream = null
}
