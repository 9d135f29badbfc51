// An upgrade (WebSocket) through the ingress: the request goes to a replica on a
// connection of its own; when the replica switches protocols (101), its answer goes back
// and the two sockets are piped both ways until either closes. A replica that answers
// anything else has that answer passed back, and the connection closed.

import { request } from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { IngressRoute } from '../cluster/index.ts'
import { CONNECT_TIMEOUT_MS } from './constants.ts'
import { countStatus } from './counters.ts'
import { downstreamHeaders, upstreamHeaders } from './headers.ts'
import type { Forwarding } from './headers.ts'
import type { IngressRouteStats } from './types.ts'
import type { Upstreams } from './upstreams.ts'

export interface UpgradeContext {
  route: IngressRoute
  upstreams: Upstreams
  forwarding: Forwarding
  stats: IngressRouteStats
  /** Upgraded connections open now: stop() closes them. */
  open: Set<Duplex>
  connectTimeoutMs?: number
}

/** Relays an upgrade request of `socket` to a replica of the route. */
export function forwardUpgrade (req: IncomingMessage, socket: Duplex, head: Buffer, ctx: UpgradeContext): void {
  socket.on('error', () => { socket.destroy() })
  const endpoint = ctx.upstreams.pick(ctx.route.endpoints, new Set())
  const upstream = endpoint === undefined ? undefined : ctx.upstreams.connection(endpoint)
  if (endpoint === undefined || upstream === undefined) {
    countStatus(ctx.stats, 503)
    socket.end(rawAnswer(503, `no healthy replica of service ${ctx.route.service}\n`, ctx.forwarding.requestId, { 'retry-after': '1' }))
    return
  }
  const timer = setTimeout(() => { upstream.destroy(new Error('connect timeout')) }, ctx.connectTimeoutMs ?? CONNECT_TIMEOUT_MS)
  upstream.once('connect', () => { clearTimeout(timer) })
  const up = request({ createConnection: () => upstream, method: req.method, path: req.url, headers: upstreamHeaders(req.headers, { ...ctx.forwarding, upgrade: true }), setHost: false })
  up.on('upgrade', (upRes, upSocket, upHead) => {
    countStatus(ctx.stats, upRes.statusCode ?? 101)
    socket.write(`HTTP/1.1 ${upRes.statusCode ?? 101} ${upRes.statusMessage ?? 'Switching Protocols'}\r\n${headerLines(upRes.headers, ctx.forwarding.requestId, true)}\r\n`)
    if (upHead.byteLength > 0) socket.write(upHead)
    if (head.byteLength > 0) upSocket.write(head)
    ctx.open.add(socket)
    const close = (): void => { ctx.open.delete(socket); socket.destroy(); upSocket.destroy() }
    upSocket.on('error', close)
    upSocket.on('close', close)
    socket.on('close', close)
    upSocket.on('data', (chunk: Buffer) => { ctx.stats.bytesOut += chunk.byteLength })
    socket.on('data', (chunk: Buffer) => { ctx.stats.bytesIn += chunk.byteLength })
    upSocket.pipe(socket)
    socket.pipe(upSocket)
  })
  up.on('response', (upRes) => {
    countStatus(ctx.stats, upRes.statusCode ?? 502)
    socket.write(`HTTP/1.1 ${upRes.statusCode ?? 502} ${upRes.statusMessage ?? ''}\r\n${headerLines({ ...upRes.headers, connection: 'close' }, ctx.forwarding.requestId, false)}\r\n`)
    upRes.pipe(socket)
  })
  up.on('error', (err: NodeJS.ErrnoException) => {
    clearTimeout(timer)
    ctx.upstreams.markDown(endpoint)
    countStatus(ctx.stats, 502)
    socket.end(rawAnswer(502, `service ${ctx.route.service} did not answer: ${err.code ?? err.message}\n`, ctx.forwarding.requestId))
  })
  up.end()
}

function headerLines (headers: IncomingHttpHeaders, requestId: string, upgraded: boolean): string {
  const out = downstreamHeaders(headers, requestId)
  if (upgraded) {
    out.connection = 'Upgrade'
    if (headers.upgrade !== undefined) out.upgrade = headers.upgrade
  } else {
    out.connection = 'close'
    delete out['transfer-encoding']
  }
  return Object.entries(out).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${name}: ${String(v)}\r\n`)).join('')
}

function rawAnswer (status: number, body: string, requestId: string, extra: Record<string, string> = {}): string {
  const reason = status === 503 ? 'Service Unavailable' : 'Bad Gateway'
  const lines = Object.entries({ 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), connection: 'close', 'x-request-id': requestId, ...extra })
  return `HTTP/1.1 ${status} ${reason}\r\n${lines.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`
}
