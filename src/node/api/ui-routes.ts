// The dashboard (node/ui/): its page at / and its files at /ui/NAME, open like
// /v1/health (no token: the page asks for one and sends it to the API itself), behind the
// same Host and Origin checks as every route, with the dashboard's own strict headers.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { uiFile, UI_HEADERS } from '../ui/index.ts'
import { MeshdError } from '../errors.ts'

interface FileParams { file: string }

/** Registers GET / and GET /ui/:file. */
export function registerUiRoutes (app: FastifyInstance): void {
  const open = { config: { open: true } } as const
  app.get('/', open, async (req, reply) => await send(req, reply, 'index.html'))
  app.get<{ Params: FileParams }>('/ui/:file', open, async (req, reply) => await send(req, reply, req.params.file))
}

async function send (req: FastifyRequest, reply: FastifyReply, name: string): Promise<FastifyReply> {
  const file = uiFile(name)
  if (file === undefined) throw new MeshdError('MESHD_NOT_FOUND', `no dashboard file "${name}"`)
  void reply.headers(UI_HEADERS).header('etag', file.etag)
  if (req.headers['if-none-match'] === file.etag) return await reply.status(304).send()
  return await reply.type(file.type).send(file.body)
}
