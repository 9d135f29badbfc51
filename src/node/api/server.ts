// The HTTP API: fastify behind the front door (front-door.ts: timeouts, connection
// cap, Host and Origin checks, token and permission before any body is read), with our
// own JSON parser (so the validator, not the parser, names a bad field) and one error
// format for everything. The transfer channel (node/transfer/) adds its routes here, and
// the dashboard (node/ui/) its page and files.

import Fastify from 'fastify'
import type { FastifyError, FastifyInstance } from 'fastify'
import { DocumentQuotaError, StorageFullError } from '../../crdt/index.ts'
import { MeshdError, StartupError } from '../errors.ts'
import { BODY_LIMIT, DRAIN_LIMIT } from './constants.ts'
import { clientError, peerRoute, registerGuard, serverFactory } from './front-door.ts'
import { registerClusterRoutes } from './cluster-routes.ts'
import { registerRoutes } from './routes.ts'
import { registerStoredRoutes } from './stored-routes.ts'
import { registerStackRoutes } from './stack-routes.ts'
import { registerBackupRoutes } from './backup-routes.ts'
import { registerVolumeRoutes } from './volume-routes.ts'
import { registerLogRoutes } from './logs-routes.ts'
import { registerTokenRoutes } from './tokens.ts'
import { registerEventRoutes } from './events-routes.ts'
import { registerMetricsRoutes } from './metrics-routes.ts'
import { registerUiRoutes } from './ui-routes.ts'
import { registerAlertRoutes } from './alert-routes.ts'
import { registerCertRoutes } from './cert-routes.ts'
import type { ApiInit } from './types.ts'

// Routes declare no fastify schemas (spec/ validates bodies), so fastify never needs
// its schema compilers; naming these keeps it from loading ajv and fast-json-stringify
// at start (~2 MB of RSS), and lets the bundle leave them out (scripts/build.ts).
const noSchemas = (): never => { throw new Error('meshd API routes declare no fastify schemas') }

/** Builds the API server (not yet listening). */
export function buildApi (init: ApiInit): FastifyInstance {
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: true,
    serverFactory: serverFactory(init.front),
    clientErrorHandler: clientError,
    schemaController: { compilersFactory: { buildValidator: noSchemas, buildSerializer: noSchemas } }
  })
  registerGuard(app, { front: init.front, tokens: init.tokens, ...(init.audit === undefined ? {} : { audit: init.audit }) })

  app.removeContentTypeParser(['application/json', 'text/plain'])
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string))
    } catch (err) {
      // V8 quotes the start of the text it could not parse: never echo a body (it may hold a secret).
      const reason = (err as Error).message.replace(/^(.*?), ".*" is not valid JSON$/s, '$1')
      done(new MeshdError('MESHD_INVALID_JSON', `body: invalid JSON: ${reason}`, 'body'), undefined)
    }
  })

  app.addHook('onRequest', async (req) => {
    // A member's transfer body is streamed through, never held: no limit applies to it.
    if (peerRoute(req)) return
    const length = Number(req.headers['content-length'] ?? 0)
    // A route may allow more (a cluster restore); fastify enforces the same limit as it reads.
    const limit = req.routeOptions.bodyLimit ?? BODY_LIMIT
    if (length > limit) {
      if (length <= DRAIN_LIMIT) await drain(req.raw)
      throw new MeshdError('MESHD_BODY_TOO_LARGE', `body: ${length} bytes is larger than the limit of ${limit} bytes`, 'body')
    }
  })

  app.setErrorHandler((err: FastifyError | MeshdError, req, reply) => {
    const error = toMeshdError(err)
    if (error.code === 'MESHD_INTERNAL') init.log.error({ err, url: req.url, method: req.method }, 'request failed')
    // A refused request's body is never read: close the connection instead of draining it.
    if (error.status === 401 || error.status === 403) void reply.header('connection', 'close')
    void reply.status(error.status).send(error.toJSON())
  })
  app.setNotFoundHandler((req, reply) => {
    const error = new MeshdError('MESHD_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)
    void reply.status(error.status).send(error.toJSON())
  })

  registerRoutes(app, init)
  registerTokenRoutes(app, init)
  registerStoredRoutes(app, init)
  registerStackRoutes(app, init)
  registerBackupRoutes(app, init)
  registerVolumeRoutes(app, init)
  registerLogRoutes(app, init)
  init.transfer?.register(app)
  registerClusterRoutes(app, init)
  registerEventRoutes(app, init.events)
  registerMetricsRoutes(app, init)
  registerAlertRoutes(app, init)
  registerCertRoutes(app, init)
  registerUiRoutes(app)
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
  // Refused before anything was applied: the node's disk is full, or the document is.
  const refused = err as unknown
  if (refused instanceof StorageFullError || refused instanceof DocumentQuotaError) return new MeshdError(refused.code, refused.message)
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

/** The API as a part of the daemon: listening from start() to stop(). */
export class ApiServer {
  private readonly init: ApiInit
  private app: FastifyInstance | undefined

  constructor (init: ApiInit) {
    this.init = init
  }

  /** The base URL clients use. */
  get url (): string { return `${this.init.front.tls === undefined ? 'http' : 'https'}://${this.init.host}:${this.init.port}` }

  async start (): Promise<void> {
    if (this.app !== undefined) return
    const { host, port } = this.init
    const app = buildApi(this.init)
    this.app = app
    await app.listen({ host, port }).catch(async (err: NodeJS.ErrnoException) => {
      this.app = undefined
      await app.close()
      throw new StartupError(err.code === 'EADDRINUSE'
        ? `--api-port: ${host}:${port} is already in use (another meshd?)`
        : `cannot listen on ${host}:${port}: ${err.message}`)
    })
  }

  async stop (): Promise<void> {
    const app = this.app
    this.app = undefined
    await app?.close()
  }
}

