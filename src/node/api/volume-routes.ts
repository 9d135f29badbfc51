// A stateful slot's volume as a file: GET .../archive gives a sealed archive of it (the
// service's backup.command first), PUT .../archive replaces it with one, checked whole on
// the node holding the volume before anything is touched, the replica stopped meanwhile.
// Both stream, through whichever node holds the volume; both need the `volumes` permission.

import type { FastifyInstance } from 'fastify'
import { MeshdError } from '../errors.ts'
import type { ApiInit } from './types.ts'

type Params = { name: string, source: string }
type Query = { slot?: string }

/** A volume archive may be as large as the volume: the body is streamed, never held. */
const ARCHIVE_BODY_LIMIT = 2 ** 50

export function registerVolumeRoutes (app: FastifyInstance, init: ApiInit): void {
  const archives = init.volumeArchives
  if (archives === undefined) return
  const path = '/v1/services/:name/volumes/:source/archive'
  const config = { permission: 'volumes', service: true, audit: true, stream: true } as const

  app.get<{ Params: Params, Querystring: Query }>(path, { config }, async (req, reply) => {
    const slot = slotOf(req.query)
    const sealed = await archives.archive(req.params.name, slot, req.params.source)
    return await reply
      .type('application/octet-stream')
      .header('content-disposition', `attachment; filename="${req.params.name}-${slot}-${req.params.source}.meshd-volume"`)
      .send(sealed)
  })

  void app.register(async (scope) => {
    scope.addContentTypeParser('*', (_req, payload, done) => { done(null, payload) })
    scope.put<{ Params: Params, Querystring: Query }>(path, { config, bodyLimit: ARCHIVE_BODY_LIMIT }, async (req) => {
      const slot = slotOf(req.query)
      await archives.restore(req.params.name, slot, req.params.source, req.raw)
      return { service: req.params.name, slot, volume: req.params.source, restored: true }
    })
  })
}

function slotOf (query: Query): number {
  const slot = Number(query.slot ?? '0')
  if (!Number.isSafeInteger(slot) || slot < 0 || String(slot) !== (query.slot ?? '0')) throw new MeshdError('MESHD_INVALID_SPEC', 'slot: a slot number (0, 1, …)', 'slot')
  return slot
}
