// One request through the ingress to a replica. An idempotent request without a body
// whose connection fails before any response byte — refused, reset, a pooled connection
// the replica closed, a mesh hop the other node closed because its replica just went —
// is sent again, to another replica when there is one: a rolling update costs no request.
// Anything else that fails before the response is a 502; after it, the client's
// connection is cut (its response would be truncated otherwise).

import { request } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '../../logger.ts'
import type { IngressRoute } from '../cluster/index.ts'
import { CONNECT_TIMEOUT_MS, MAX_ATTEMPTS, RETRY_STEP_MS, UPSTREAM_IDLE_MS } from './constants.ts'
import { countStatus } from './counters.ts'
import { downstreamHeaders, upstreamHeaders } from './headers.ts'
import type { Forwarding } from './headers.ts'
import type { IngressRouteStats } from './types.ts'
import type { Upstreams } from './upstreams.ts'

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'])

export interface ForwardContext {
  route: IngressRoute
  /** The request's route now (the table may have changed since): where a retry goes. */
  current: () => IngressRoute | undefined
  upstreams: Upstreams
  forwarding: Forwarding
  stats: IngressRouteStats
  log: Logger
  connectTimeoutMs?: number
}

/** Whether a request may be sent again: an idempotent method and no body. */
export function replayable (method: string | undefined, headers: IncomingMessage['headers']): boolean {
  const length = headers['content-length']
  return IDEMPOTENT.has(method ?? '') && headers['transfer-encoding'] === undefined && (length === undefined || length === '0')
}

/** Sends `req` to a replica of the route and its answer back on `res`. */
export function forward (req: IncomingMessage, res: ServerResponse, ctx: ForwardContext): void {
  const headers = upstreamHeaders(req.headers, ctx.forwarding)
  const retry = replayable(req.method, req.headers)
  const tried = new Set<string>()
  let lastError = ''
  req.on('data', (chunk: Buffer) => { ctx.stats.bytesIn += chunk.byteLength })

  const attempt = (n: number): void => {
    if (res.destroyed || res.headersSent) return
    const route = n === 1 ? ctx.route : (ctx.current() ?? ctx.route)
    const endpoint = ctx.upstreams.pick(route.endpoints, tried)
    const agent = endpoint === undefined ? undefined : ctx.upstreams.agent(endpoint)
    if (endpoint === undefined || agent === undefined) {
      answer(res, route.endpoints.length === 0 ? 503 : 502, route.endpoints.length === 0 ? `no healthy replica of service ${route.service}\n` : `no replica of service ${route.service} answered${lastError === '' ? '' : `: ${lastError}`}\n`)
      return
    }
    tried.add(endpoint)
    agent.inFlight++
    let released = false
    const release = (): void => { if (!released) { released = true; agent.inFlight-- } }
    const up = request({ agent, host: agent.target.host, port: agent.target.port, method: req.method, path: req.url, headers, setHost: false })
    let connectTimer: NodeJS.Timeout | undefined
    up.on('socket', (socket) => {
      socket.setTimeout(UPSTREAM_IDLE_MS)
      if (!('connecting' in socket) || socket.connecting !== true) return
      connectTimer = setTimeout(() => { up.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })) }, ctx.connectTimeoutMs ?? CONNECT_TIMEOUT_MS)
      socket.once('connect', () => { clearTimeout(connectTimer) })
    })
    up.on('timeout', () => { up.destroy(new Error('upstream idle')) })
    up.on('response', (upRes) => {
      clearTimeout(connectTimer)
      relayResponse(res, upRes, ctx)
      upRes.on('end', release)
      upRes.on('close', release)
    })
    up.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer)
      release()
      lastError = err.code ?? err.message
      if (res.headersSent || res.destroyed) { res.destroy(); return }
      // A pooled connection the replica had closed says nothing about the replica.
      if (!up.reusedSocket) ctx.upstreams.markDown(endpoint)
      // Not req.destroyed: a request without a body is destroyed once read; the client's socket tells whether it still waits.
      if (retry && n < MAX_ATTEMPTS && !req.socket.destroyed) {
        ctx.stats.retries++
        setTimeout(() => { attempt(n + 1) }, (n - 1) * RETRY_STEP_MS)
        return
      }
      ctx.log.debug({ service: route.service, endpoint, err: err.code ?? err.message }, 'ingress upstream failed')
      answer(res, 502, `service ${route.service} did not answer: ${err.code ?? err.message}\n`)
    })
    res.once('close', () => { if (!res.writableFinished) up.destroy() })
    if (retry) up.end()
    else req.pipe(up)
  }
  attempt(1)
}

function relayResponse (res: ServerResponse, upRes: IncomingMessage, ctx: ForwardContext): void {
  res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, downstreamHeaders(upRes.headers, ctx.forwarding.requestId))
  upRes.on('data', (chunk: Buffer) => { ctx.stats.bytesOut += chunk.byteLength })
  upRes.on('error', () => { res.destroy() })
  upRes.on('aborted', () => { res.destroy() })
  res.once('close', () => { if (!res.writableFinished) upRes.destroy() })
  upRes.pipe(res)
}

/** A short plain-text answer of the ingress itself. */
export function answer (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) { res.destroy(); return }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers })
  res.end(body)
}
