// The HTTP API: fastify with our own JSON parser (so the validator, not the parser,
// names a bad field), one error format for everything, and a bearer token whenever
// the API listens beyond loopback.

import { timingSafeEqual } from 'node:crypto'
import Fastify from 'fastify'
import type { FastifyError, FastifyInstance } from 'fastify'
import type { ClusterDocument, Logger } from '../../crdt/index.ts'
import type { Placement } from '../../placement/index.ts'
import type { ProxyStats, RouteProblem } from '../../proxy/index.ts'
import type { ServiceMeshView } from '../mesh.ts'
import { MeshdError } from '../errors.ts'
import { registerRoutes } from './routes.ts'
import type { MemberView } from './routes.ts'

export const BODY_LIMIT = 1024 * 1024
/** An oversize body up to this size is read and discarded so the client gets its 413 instead of a reset. */
const DRAIN_LIMIT = 64 * 1024 * 1024

export interface ApiInit {
  host: string
  port: number
  node: { id: string, name: string }
  document: ClusterDocument
  members: () => MemberView[]
  /** The cluster's current placement, for desired counts and unplaced explanations. */
  placement?: () => Placement
  /** This node's routing mesh: counters and listener problems. */
  mesh?: MeshStatus
  log: Logger
  token?: string
}

export interface MeshStatus {
  service: (name: string) => ServiceMeshView
  stats: () => ProxyStats & { problems: RouteProblem[] }
}

/** Builds the API server (not yet listening). */
export function buildApi (init: ApiInit): FastifyInstance {
  const app = Fastify({ bodyLimit: BODY_LIMIT, logger: false, return503OnClosing: true, forceCloseConnections: true })

  app.removeContentTypeParser(['application/json', 'text/plain'])
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string))
    } catch (err) {
      done(new MeshdError('MESHD_INVALID_JSON', `body: invalid JSON: ${(err as Error).message}`, 'body'), undefined)
    }
  })

  app.addHook('onRequest', async (req) => {
    const length = Number(req.headers['content-length'] ?? 0)
    if (length > BODY_LIMIT) {
      if (length <= DRAIN_LIMIT) await drain(req.raw)
      throw new MeshdError('MESHD_BODY_TOO_LARGE', `body: ${length} bytes is larger than the limit of ${BODY_LIMIT} bytes`, 'body')
    }
  })

  if (init.token !== undefined) {
    const expected = Buffer.from(`Bearer ${init.token}`)
    app.addHook('onRequest', async (req) => {
      if (req.url === '/v1/health') return
      const given = Buffer.from(req.headers.authorization ?? '')
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new MeshdError('MESHD_UNAUTHORIZED', 'authorization: a valid bearer token is required (set MESHD_TOKEN)', 'authorization')
      }
    })
  }

  app.setErrorHandler((err: FastifyError | MeshdError, req, reply) => {
    const error = toMeshdError(err)
    if (error.code === 'MESHD_INTERNAL') init.log.error({ err, url: req.url, method: req.method }, 'request failed')
    void reply.status(error.status).send(error.toJSON())
  })
  app.setNotFoundHandler((req, reply) => {
    const error = new MeshdError('MESHD_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)
    void reply.status(error.status).send(error.toJSON())
  })

  registerRoutes(app, init)
  return app
}

/** Reads a request body to its end and throws it away. */
async function drain (stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve) => {
    stream.on('end', resolve).on('error', () => { resolve() }).on('close', resolve)
    stream.resume()
  })
}

/** Maps any error a request can raise to a MeshdError. */
function toMeshdError (err: FastifyError | MeshdError): MeshdError {
  if (err instanceof MeshdError) return err
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new MeshdError('MESHD_BODY_TOO_LARGE', `body: larger than the limit of ${BODY_LIMIT} bytes`, 'body')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new MeshdError('MESHD_UNSUPPORTED_MEDIA_TYPE', 'content-type: send the body as application/json', 'content-type')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new MeshdError('MESHD_INVALID_JSON', 'body: expected a JSON document', 'body')
    default:
      if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
        return new MeshdError('MESHD_INVALID_SPEC', `request: ${err.message}`, 'request')
      }
      return new MeshdError('MESHD_INTERNAL', 'internal error; see the daemon log')
  }
}
