// GET /metrics (Prometheus text; a viewer token unless the node runs with
// --metrics-public), GET /v1/stats (every replica's CPU and memory, gathered from every
// member) and the member-to-member GET /v1/internal/stats behind it.

import type { FastifyInstance } from 'fastify'
import { requireService } from './services.ts'
import type { ApiInit } from './types.ts'

/** Registers the metrics and stats routes, when the node has them. */
export function registerMetricsRoutes (app: FastifyInstance, init: ApiInit): void {
  const { metrics, stats } = init
  if (metrics !== undefined) {
    app.get('/metrics', { config: { open: init.metricsPublic === true } }, async (_req, reply) => {
      const text = await metrics.render()
      return await reply.header('content-type', metrics.contentType).send(text)
    })
  }
  if (stats === undefined) return
  app.get<{ Querystring: { service?: string } }>('/v1/stats', async (req) => {
    const service = req.query.service
    if (service !== undefined) requireService(init.view().services, service)
    return await stats.gather(service)
  })
  app.get<{ Querystring: { sample?: string } }>('/v1/internal/stats', { config: { peer: (req) => stats.authenticate(req) } }, async (req) =>
    req.query.sample === 'autoscale' ? await stats.sample() : await stats.local())
}
