// GET /v1/services/NAME/logs: the service's log across the cluster, streamed as
// newline-delimited JSON (logs/wire.ts says what each line is). A viewer may read it;
// it streams for as long as the client reads (following), so no request timeout applies.

import type { FastifyInstance } from 'fastify'
import { parseLogQuery } from '../logs/index.ts'
import { MeshdError } from '../errors.ts'
import { requireService } from './services.ts'
import type { ApiInit } from './types.ts'

/** Registers the logs route; without `init.logs` it answers that this node cannot read logs. */
export function registerLogRoutes (app: FastifyInstance, init: ApiInit): void {
  app.get<{ Params: { name: string } }>('/v1/services/:name/logs', { config: { permission: 'read', service: true, stream: true }, exposeHeadRoute: false }, async (req, reply) => {
    const query = parseLogQuery(req.query, Date.now())
    const name = req.params.name
    requireService(init.view().services, name)
    if (init.logs === undefined) throw new MeshdError('MESHD_INTERNAL', 'this node was started without logs')
    const stream = init.logs.stream(name, query)
    return await reply.header('content-type', 'application/x-ndjson; charset=utf-8').header('cache-control', 'no-store').send(stream)
  })
}
