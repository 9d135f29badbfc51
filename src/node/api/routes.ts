// The routes of the v1 API. Handlers validate, write one transaction, and answer with
// a view; every failure is a MeshdError thrown to the server's error handler.

import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { ApiInit } from './server.ts'
import { parseScaleRequest, parseServiceSpec } from '../spec/index.ts'
import { MeshdError } from '../errors.ts'
import { deleteService, requireService, rollbackService, scaleService, writeService } from './services.ts'
import { replicaViews, serviceView } from './views.ts'

export interface MemberView {
  id: string
  name: string
  host: string
  state: 'alive' | 'suspect' | 'dead'
  labels: Record<string, string>
  draining: boolean
  capacity?: { cpus: number, memory: number }
  /** Services whose replicas kept failing on this node, placed elsewhere for a while. */
  avoiding?: string[]
}

interface NameParams { name: string }

/** Registers every /v1 route on app. */
export function registerRoutes (app: FastifyInstance, init: ApiInit): void {
  const { document } = init
  const deadCheck = (): ((nodeId: string) => boolean) => {
    const dead = new Set(init.members().filter((m) => m.state === 'dead').map((m) => m.id))
    return (nodeId) => dead.has(nodeId)
  }

  app.get('/v1/health', async () => ({ ok: true, node: init.node }))

  app.get('/v1/nodes', async () => init.members())

  for (const [action, draining] of [['drain', true], ['undrain', false]] as const) {
    app.post<{ Params: NameParams }>(`/v1/nodes/:name/${action}`, async (req) => {
      const member = requireMember(init.members(), req.params.name)
      document.putDrain(member.id, { draining, updatedAt: Date.now() })
      init.log.info({ node: member.name, draining }, `node ${action}ed`)
      return { ...member, draining }
    })
  }

  app.get('/v1/services', async () => {
    const placement = init.placement?.()
    const isDead = deadCheck()
    return Object.values(document.services())
      .sort((a, b) => a.spec.name.localeCompare(b.spec.name))
      .map((record) => serviceView(document, record, placement, isDead, init.mesh?.service(record.spec.name)))
  })

  app.get<{ Params: NameParams }>('/v1/services/:name', async (req) =>
    serviceView(document, requireService(document, req.params.name), init.placement?.(), deadCheck(), init.mesh?.service(req.params.name)))

  app.put<{ Params: NameParams }>('/v1/services/:name', async (req, reply) => {
    const spec = parseServiceSpec(requireBody(req.body), { name: req.params.name })
    const result = writeService(document, spec)
    init.log.info({ service: spec.name, generation: result.record.generation, created: result.created, changed: result.changed }, 'service written')
    return await reply.status(result.created ? 201 : 200).send(serviceView(document, result.record, init.placement?.(), deadCheck()))
  })

  app.post<{ Params: NameParams }>('/v1/services/:name/scale', async (req) => {
    const { replicas } = parseScaleRequest(requireBody(req.body))
    const result = scaleService(document, req.params.name, replicas)
    init.log.info({ service: req.params.name, replicas }, 'service scaled')
    return serviceView(document, result.record, init.placement?.(), deadCheck())
  })

  app.post<{ Params: NameParams }>('/v1/services/:name/rollback', async (req) => {
    const name = req.params.name
    const placement = init.placement?.()
    const slots = (placement?.assignments ?? []).filter((a) => a.service === name).map((a) => a.slot)
    const record = rollbackService(document, name, slots)
    init.log.info({ service: name, generation: record.generation }, 'service rolled back')
    return serviceView(document, record, placement, deadCheck(), init.mesh?.service(name))
  })

  app.delete<{ Params: NameParams }>('/v1/services/:name', async (req) => {
    deleteService(document, req.params.name)
    init.log.info({ service: req.params.name }, 'service deleted')
    return { deleted: req.params.name }
  })

  // This node's routing mesh: open connections, per-service and per-endpoint counters, listener problems.
  app.get('/v1/mesh', async () => init.mesh?.stats() ?? { connections: { active: 0, max: 0 }, services: [], problems: [] })

  // The digest of the encoded document: equal digests mean byte-identical state.
  app.get('/v1/debug/document', async () => {
    const state = document.encodeState()
    return { sha256: createHash('sha256').update(state).digest('hex'), bytes: state.byteLength }
  })

  app.get<{ Querystring: { service?: string } }>('/v1/replicas', async (req) => {
    const services = req.query.service === undefined ? Object.keys(document.services()) : [req.query.service]
    return services.flatMap((service) => replicaViews(document, service).map((r) => ({ service, ...r })))
  })
}

function requireMember (members: MemberView[], name: string): MemberView {
  const matches = members.filter((m) => m.name === name || m.id === name)
  if (matches.length === 1) return matches[0]!
  throw matches.length === 0
    ? new MeshdError('MESHD_NODE_NOT_FOUND', `node "${name}" not found`, 'name')
    : new MeshdError('MESHD_NODE_NOT_FOUND', `${matches.length} nodes are named "${name}": use the node id`, 'name')
}

function requireBody (body: unknown): unknown {
  if (body === undefined) throw new MeshdError('MESHD_INVALID_JSON', 'body: expected a JSON document', 'body')
  return body
}
