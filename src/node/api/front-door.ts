// The API's front door, before any handler and before any body is read: the server's
// timeouts and per-client connection cap, the Host and Origin checks that keep web
// pages out (DNS rebinding, cross-site requests), the bearer token, and the route's
// permission. A refused request is answered 401/403 with `Connection: close`, so an
// unauthenticated client announcing a huge body costs one small answer.
//
// One narrow exception: node-to-node routes under /v1/internal/ (the transfer channel)
// name their own check in their config (`peer`); it replaces the token, and once it
// passes, the request's body may stream past the request timeout (an archive of volume
// data takes minutes); the route cuts a stalled one itself.

import { createServer, STATUS_CODES } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import { isIP } from 'node:net'
import type { Duplex } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { constants as auth, refusalOf } from '../auth/index.ts'
import type { AuditLog, Permission, Principal, TokenIndex } from '../auth/index.ts'
import { MeshdError } from '../errors.ts'

export interface FrontDoorInit {
  /** The address the API listens on. */
  host: string
  port: number
  /** Names clients may use for this node in Host (--api-host-name). */
  hostNames: string[]
  /** Browser origins allowed to call the API (--api-allow-origin). */
  allowOrigins: string[]
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: Buffer, key: Buffer }
  /** How long a whole request may take (default auth's REQUEST_TIMEOUT_MS; tests shorten it). */
  requestTimeoutMs?: number
}

declare module 'fastify' {
  interface FastifyRequest { principal?: Principal }
  interface FastifyContextConfig {
    /** What the route needs (default: read). */
    permission?: Permission
    /** The route's :name is a service, for deployers limited to some services. */
    service?: boolean
    /** No token needed (GET /v1/health only). */
    open?: boolean
    /** A node-to-node route under /v1/internal/: this check replaces the token (undefined: let in; else why not). */
    peer?: (req: FastifyRequest) => string | undefined
    /** A read recorded in the audit log like a write (a cluster backup: token hashes, encrypted secrets). */
    audit?: boolean
    /** A body or answer streamed for as long as it takes (a volume archive): no request timeout once let in. */
    stream?: boolean
  }
}

/** Node-to-node routes live here, and only here may a route replace the token with its own check. */
const PEER_ROUTES = '/v1/internal/'

/** Sockets carrying a member's authenticated body, exempt from the request timeout. */
const streaming = new WeakSet<object>()

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** The HTTP(S) server the API runs on: short header and request timeouts, a cap on connections per client address. */
export function serverFactory (init: FrontDoorInit): (handler: Handler) => Server {
  return (handler) => {
    const requestTimeout = init.requestTimeoutMs ?? auth.REQUEST_TIMEOUT_MS
    const options = {
      headersTimeout: Math.min(auth.HEADERS_TIMEOUT_MS, requestTimeout),
      requestTimeout,
      keepAliveTimeout: auth.KEEP_ALIVE_MS,
      connectionsCheckingInterval: auth.TIMEOUT_CHECK_MS
    }
    const server: Server = init.tls === undefined ? createServer(options, handler) : createTlsServer({ ...options, ...init.tls }, handler)
    const open = new Map<string, number>()
    server.on('connection', (socket) => {
      const client = socket.remoteAddress ?? ''
      const count = (open.get(client) ?? 0) + 1
      if (count > auth.MAX_CONNECTIONS_PER_CLIENT) {
        socket.destroy()
        return
      }
      open.set(client, count)
      socket.once('close', () => {
        const left = (open.get(client) ?? 1) - 1
        if (left <= 0) open.delete(client)
        else open.set(client, left)
      })
    })
    return server
  }
}

/**
 * The server's answer to a client error (fastify's clientErrorHandler): like fastify's own
 * (408 on a request timeout, 431 on oversize headers, else 400, then close), except that an
 * authenticated member's body is not cut by the request timeout.
 */
export function clientError (err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && streaming.has(socket)) return
  const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400
  const body = JSON.stringify({ error: STATUS_CODES[status], statusCode: status })
  if (socket.writable) socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${body.length}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`)
  socket.destroy(err)
}

/** True for a request on a node-to-node route (its body is streamed: no body limit). */
export function peerRoute (req: FastifyRequest): boolean {
  return req.routeOptions.config.peer !== undefined && req.routeOptions.url?.startsWith(PEER_ROUTES) === true
}

export interface GuardInit {
  front: FrontDoorInit
  tokens: TokenIndex
  audit?: AuditLog
}

/** Adds the checks every request passes first, and the audit of writes and refusals. */
export function registerGuard (app: FastifyInstance, init: GuardInit): void {
  const { front, tokens, audit } = init
  app.decorateRequest('principal', undefined)
  app.addHook('onRequest', async (req, reply) => {
    const door = doorRefusal(front, req)
    if (door !== undefined) throw door
    const config = req.routeOptions.config
    if (config.open === true) return
    if (config.peer !== undefined && peerRoute(req)) {
      const refused = config.peer(req)
      if (refused !== undefined) throw new MeshdError('MESHD_UNAUTHORIZED', refused, 'authorization')
      untimed(req, reply)
      return
    }
    const who = tokens.authenticate(req.headers.authorization, Date.now())
    if ('refused' in who) throw new MeshdError('MESHD_UNAUTHORIZED', who.refused, 'authorization')
    req.principal = who.principal
    // An unknown route needs a valid token, then answers 404.
    if (req.routeOptions.url === undefined) return
    const service = config.service === true ? (req.params as { name?: string }).name : undefined
    const refused = refusalOf(who.principal, config.permission ?? 'read', service)
    if (refused !== undefined) throw new MeshdError('MESHD_FORBIDDEN', refused, 'authorization')
    if (config.stream === true) untimed(req, reply)
  })
  if (audit === undefined) return
  app.addHook('onResponse', async (req, reply) => {
    const write = req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS'
    if (!write && req.routeOptions.config.audit !== true && reply.statusCode !== 401 && reply.statusCode !== 403) return
    audit.append({
      time: new Date().toISOString(),
      token: req.principal?.name ?? null,
      role: req.principal?.role ?? null,
      method: req.method,
      path: req.url.split('?')[0] ?? req.url,
      status: reply.statusCode,
      client: req.socket.remoteAddress ?? ''
    })
  })
}

/** Exempts one let-in request from the request timeout; a kept-alive socket's next request is timed again. */
function untimed (req: FastifyRequest, reply: FastifyReply): void {
  const socket = req.raw.socket
  streaming.add(socket)
  reply.raw.once('close', () => { streaming.delete(socket) })
}

/** A request a browser could have been tricked into sending: a Host this node does not answer to, or a foreign Origin. */
function doorRefusal (front: FrontDoorInit, req: FastifyRequest): MeshdError | undefined {
  const host = req.headers.host ?? ''
  if (!hostAllowed(front, host)) {
    return new MeshdError('MESHD_FORBIDDEN', `host: "${host}" is not this node's address; name it with --api-host-name to use it`, 'host')
  }
  const origin = req.headers.origin
  if (origin === undefined) return undefined
  const own = `${front.tls === undefined ? 'http' : 'https'}://${host}`
  if (origin === own || front.allowOrigins.includes(origin)) return undefined
  return new MeshdError('MESHD_FORBIDDEN', `origin: "${origin}" may not call this API; allow it with --api-allow-origin`, 'origin')
}

/** Host as "name[:port]": the node's address (any IP when it listens on 0.0.0.0) or a --api-host-name. */
function hostAllowed (front: FrontDoorInit, host: string): boolean {
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '')
  const port = host.slice(name.length)
  if (port !== '' && port !== `:${front.port}`) return false
  if (name === front.host || front.hostNames.includes(name.toLowerCase())) return true
  return front.host === '0.0.0.0' && isIP(name.replace(/^\[|\]$/g, '')) !== 0
}
