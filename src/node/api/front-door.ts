// The API's front door, before any handler and before any body is read: the server's
// timeouts and per-client connection cap, the Host and Origin checks that keep web
// pages out (DNS rebinding, cross-site requests), the bearer token, and the route's
// permission. A refused request is answered 401/403 with `Connection: close`, so an
// unauthenticated client announcing a huge body costs one small answer.

import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import { isIP } from 'node:net'
import type { FastifyInstance, FastifyRequest } from 'fastify'
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
    /** A read recorded in the audit log like a write (a cluster backup: token hashes, encrypted secrets). */
    audit?: boolean
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** The HTTP(S) server the API runs on: short header and request timeouts, a cap on connections per client address. */
export function serverFactory (init: FrontDoorInit): (handler: Handler) => Server {
  return (handler) => {
    const options = {
      headersTimeout: auth.HEADERS_TIMEOUT_MS,
      requestTimeout: auth.REQUEST_TIMEOUT_MS,
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

export interface GuardInit {
  front: FrontDoorInit
  tokens: TokenIndex
  audit?: AuditLog
}

/** Adds the checks every request passes first, and the audit of writes and refusals. */
export function registerGuard (app: FastifyInstance, init: GuardInit): void {
  const { front, tokens, audit } = init
  app.decorateRequest('principal', undefined)
  app.addHook('onRequest', async (req) => {
    const door = doorRefusal(front, req)
    if (door !== undefined) throw door
    const config = req.routeOptions.config
    if (config.open === true) return
    const who = tokens.authenticate(req.headers.authorization, Date.now())
    if ('refused' in who) throw new MeshdError('MESHD_UNAUTHORIZED', who.refused, 'authorization')
    req.principal = who.principal
    // An unknown route needs a valid token, then answers 404.
    if (req.routeOptions.url === undefined) return
    const service = config.service === true ? (req.params as { name?: string }).name : undefined
    const refused = refusalOf(who.principal, config.permission ?? 'read', service)
    if (refused !== undefined) throw new MeshdError('MESHD_FORBIDDEN', refused, 'authorization')
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
