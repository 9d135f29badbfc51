// The HTTP(S) ingress of this node: a front on --http-port and --https-port that routes
// each request by Host and path (table.ts) to a healthy replica of the service anywhere
// in the cluster (cluster/ingress.ts: the mesh's endpoints). The table is rebuilt when
// the document or a member's state changes, and the upstreams no route uses are let go.
// A port that cannot be bound is logged and tried again, never a failed start.

import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { Duplex } from 'node:stream'
import { ingressRoutes } from '../cluster/index.ts'
import type { IngressRoute } from '../cluster/index.ts'
import { ACME_CHALLENGE_PREFIX, CLIENT_KEEP_ALIVE_MS, LISTEN_RETRY_MS } from './constants.ts'
import { countStatus, IngressCounters } from './counters.ts'
import { answer, forward } from './forward.ts'
import { clientAddress, hostOf, pathOf, requestIdOf } from './headers.ts'
import { endpointsOf, matchRoute, routeTable } from './table.ts'
import type { RouteTable } from './table.ts'
import type { IngressInit, IngressStats } from './types.ts'
import { forwardUpgrade } from './upgrade.ts'
import { Upstreams } from './upstreams.ts'

type Proto = 'http' | 'https'

interface Front { proto: Proto, port: number, server: Server, listening: boolean, error?: string, retry?: NodeJS.Timeout }

export class Ingress {
  private readonly init: IngressInit
  private readonly upstreams: Upstreams
  private readonly counters = new IngressCounters()
  private readonly open = new Set<Duplex>()
  private fronts: Front[] = []
  private table: RouteTable | undefined
  private started = false

  constructor (init: IngressInit) {
    this.init = init
    this.upstreams = new Upstreams({ host: init.host, ...(init.meshKey === undefined ? {} : { meshKey: init.meshKey }) })
  }

  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    this.init.document.on('change', this.onChange)
    const { httpPort, httpsPort, certificates } = this.init
    if (httpPort !== 0) this.fronts.push(this.front('http', httpPort, createServer({ keepAliveTimeout: CLIENT_KEEP_ALIVE_MS })))
    if (httpsPort !== 0 && certificates !== undefined) {
      this.fronts.push(this.front('https', httpsPort, createTlsServer({
        keepAliveTimeout: CLIENT_KEEP_ALIVE_MS,
        SNICallback: (servername, done) => {
          const context = certificates.secureContext(servername.toLowerCase())
          if (context === undefined) done(new Error(`no certificate for ${servername}`), undefined)
          else done(null, context)
        }
      })))
    }
    await Promise.all(this.fronts.map(async (front) => { await this.listen(front) }))
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.init.document.off('change', this.onChange)
    const fronts = this.fronts
    this.fronts = []
    for (const socket of this.open) socket.destroy()
    this.open.clear()
    await Promise.all(fronts.map(async (front) => {
      clearTimeout(front.retry)
      if (!front.server.listening) return
      const closed = new Promise<void>((resolve) => { front.server.close(() => { resolve() }) })
      front.server.closeAllConnections()
      await closed
    }))
    this.upstreams.stop()
    this.table = undefined
  }

  /** Rebuilds the route table before the next request: a member changed state, say. */
  refresh (): void {
    this.table = undefined
  }

  stats (): IngressStats {
    const listening: IngressStats['listening'] = {}
    for (const front of this.fronts) if (front.listening) listening[front.proto] = front.port
    return {
      listening,
      problems: this.fronts.filter((f) => f.error !== undefined).map((f) => ({ port: f.port, error: f.error! })),
      routes: this.counters.snapshot(),
      unrouted: this.counters.unrouted
    }
  }

  private readonly onChange = (change: { services: boolean, replicas: boolean, nodes: boolean }): void => {
    if (change.services || change.replicas || change.nodes) this.table = undefined
  }

  private routes (): RouteTable {
    if (this.table !== undefined) return this.table
    const routes = ingressRoutes(this.init.view())
    this.upstreams.retain(endpointsOf(routes))
    this.table = routeTable(routes)
    return this.table
  }

  private front (proto: Proto, port: number, server: Server): Front {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => { this.request(proto, req, res) })
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => { this.upgrade(proto, req, socket, head) })
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      // A malformed request gets a 400, as Node's default would; a reset or a timed-out one just goes.
      if (err.code === 'ECONNRESET' || !socket.writable) socket.destroy()
      else socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
    })
    return { proto, port, server, listening: false }
  }

  private async listen (front: Front): Promise<void> {
    await new Promise<void>((resolve) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        front.server.off('listening', onListening)
        const error = err.code ?? err.message
        if (front.error !== error) this.init.log.error({ port: front.port, err: error }, `ingress cannot listen for ${front.proto.toUpperCase()}; trying again every ${LISTEN_RETRY_MS / 1000} s`)
        front.error = error
        if (this.started) {
          front.retry = setTimeout(() => { void this.listen(front) }, this.init.listenRetryMs ?? LISTEN_RETRY_MS)
          front.retry.unref()
        }
        resolve()
      }
      const onListening = (): void => {
        front.server.off('error', onError)
        front.listening = true
        if (front.error !== undefined) this.init.log.info({ port: front.port }, `ingress listens for ${front.proto.toUpperCase()} now`)
        delete front.error
        resolve()
      }
      front.server.once('error', onError)
      front.server.once('listening', onListening)
      front.server.listen({ host: this.init.host, port: front.port })
    })
  }

  private request (proto: Proto, req: IncomingMessage, res: ServerResponse): void {
    const requestId = requestIdOf(req.headers['x-request-id'])
    res.setHeader('x-request-id', requestId)
    const path = pathOf(req.url)
    if (proto === 'http' && (req.method === 'GET' || req.method === 'HEAD') && path.startsWith(ACME_CHALLENGE_PREFIX)) {
      const key = this.init.certificates?.challenge(path.slice(ACME_CHALLENGE_PREFIX.length))
      if (key === undefined) answer(res, 404, 'no such ACME challenge\n')
      else answer(res, 200, key, { 'content-type': 'text/plain' })
      return
    }
    const host = hostOf(req.headers.host)
    const route = host === undefined ? undefined : matchRoute(this.routes(), host, path)
    if (route === undefined) {
      this.counters.unrouted++
      answer(res, 404, `no route for ${host ?? '(no host)'}${path}\n`)
      return
    }
    const stats = this.counters.of(route)
    res.once('finish', () => { countStatus(stats, res.statusCode) })
    if (route.tls === true && proto === 'http') {
      answer(res, 308, `this route is served over https: ${this.httpsUrl(host!, req.url)}\n`, { location: this.httpsUrl(host!, req.url) })
      return
    }
    if (route.endpoints.length === 0) {
      answer(res, 503, `no healthy replica of service ${route.service}\n`, { 'retry-after': '1' })
      return
    }
    const forwarding = { client: clientAddress(req.socket.remoteAddress), proto, requestId }
    forward(req, res, { route, current: () => this.current(host!, path), upstreams: this.upstreams, forwarding, stats, log: this.init.log, ...this.timeouts() })
  }

  private upgrade (proto: Proto, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const host = hostOf(req.headers.host)
    const route = host === undefined ? undefined : matchRoute(this.routes(), host, pathOf(req.url))
    const requestId = requestIdOf(req.headers['x-request-id'])
    if (route === undefined || (route.tls === true && proto === 'http')) {
      if (route === undefined) this.counters.unrouted++
      const body = route === undefined ? `no route for ${host ?? '(no host)'}${pathOf(req.url)}\n` : 'this route is served over https\n'
      socket.end(`HTTP/1.1 ${route === undefined ? '404 Not Found' : '403 Forbidden'}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\nx-request-id: ${requestId}\r\n\r\n${body}`)
      return
    }
    const forwarding = { client: clientAddress(req.socket.remoteAddress), proto, requestId }
    forwardUpgrade(req, socket, head, { route, upstreams: this.upstreams, forwarding, stats: this.counters.of(route), open: this.open, ...this.timeouts() })
  }

  private current (host: string, path: string): IngressRoute | undefined {
    return matchRoute(this.routes(), host, path)
  }

  private timeouts (): { connectTimeoutMs?: number } {
    return this.init.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: this.init.connectTimeoutMs }
  }

  private httpsUrl (host: string, url: string | undefined): string {
    const port = this.init.httpsPort === 443 ? '' : `:${this.init.httpsPort}`
    return `https://${host}${port}${url?.startsWith('/') === true ? url : '/'}`
  }
}
