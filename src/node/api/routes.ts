// The routes of the v1 API. Handlers validate, write one transaction, and answer with
// a view; every failure is a MeshdError thrown to the server's error handler.

import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { byText } from '../../placement/index.ts'
import { memberViews, placeCluster, placedSlots, recordVersion } from '../cluster/index.ts'
import { serviceCertificates } from '../certs/index.ts'
import { removeMember } from '../membership/index.ts'
import type { MemberView } from '../cluster/index.ts'
import { parseScaleRequest, parseServiceSpec } from '../spec/index.ts'
import { MeshdError } from '../errors.ts'
import { deployService } from './images.ts'
import { resolveRefs } from './stored.ts'
import { deleteService, requireService, rollbackService, scaleService } from './services.ts'
import type { WriteResult } from './services.ts'
import type { EventInput } from '../events/index.ts'
import type { ApiInit } from './types.ts'
import { redacted, replicaViews, serviceView } from './views.ts'
import type { ServiceView } from './views.ts'

interface NameParams { name: string }

/** Registers every /v1 route on app. */
export function registerRoutes (app: FastifyInstance, init: ApiInit): void {
  const { document } = init
  const emit = (input: EventInput): void => { init.events?.bus.emit(input) }
  /** A service as the cluster shows it now, with this node's mesh counters when asked. */
  const show = (req: FastifyRequest, name: string, withMesh = true): ServiceView => {
    const view = init.view()
    const addresses = init.addresses?.(view.services).get(name)
    const shown = redacted(serviceView(view, requireService(view.services, name), placeCluster(view), withMesh ? init.mesh?.service(name) : undefined, addresses), req.principal)
    const certificates = serviceCertificates(view, name, init.certs?.certs() ?? document.certs(), init.certs?.acme() ?? document.acme())
    return certificates.length === 0 ? shown : { ...shown, certificates }
  }
  /** Changes a service: services:write, on that service, and only at the version If-Match names. */
  const writes = { config: { permission: 'services:write', service: true }, preHandler: async (req: FastifyRequest<{ Params: NameParams }>) => { assertVersion(req, init) } } as const

  app.get('/v1/health', { config: { open: true } }, async () => ({ ok: true, node: init.node }))

  app.get('/v1/nodes', async () => memberViews(init.view()))

  for (const [action, draining] of [['drain', true], ['undrain', false]] as const) {
    app.post<{ Params: NameParams }>(`/v1/nodes/:name/${action}`, { config: { permission: 'nodes:write' } }, async (req) => {
      const member = requireMember(memberViews(init.view()), req.params.name)
      document.putDrain(member.id, { draining, updatedAt: Date.now() })
      init.log.info({ node: member.name, draining }, `node ${action}ed`)
      emit({ kind: draining ? 'node.drained' : 'node.undrained', member: member.name, message: `${member.name} ${draining ? 'drained: its replicas move to other nodes' : 'undrained: it takes replicas again'}` })
      return { ...member, draining }
    })
  }

  app.delete<{ Params: NameParams, Querystring: { force?: string } }>('/v1/nodes/:name', { config: { permission: 'nodes:write' } }, async (req) => {
    const member = requireMember(memberViews(init.view()), req.params.name)
    if (member.id === init.node.id) throw new MeshdError('MESHD_NODE_ALIVE', `name: "${member.name}" is the node answering this request; remove it through another node`, 'name')
    if (member.state !== 'dead' && req.query.force !== '1' && req.query.force !== 'true') {
      throw new MeshdError('MESHD_NODE_ALIVE', `name: node "${member.name}" is ${member.state}; stop it first, or remove it anyway with --force (force=1)`, 'name')
    }
    removeMember(document, member.id, { reason: 'removed', name: member.name, at: Date.now() })
    init.log.warn({ node: member.name, id: member.id, by: req.principal?.name }, 'node removed: its records are gone and its id is banned')
    return { removed: member.name, id: member.id }
  })

  app.get('/v1/services', async (req) => {
    const view = init.view()
    const placement = placeCluster(view)
    const addresses = init.addresses?.(view.services)
    return Object.values(view.services)
      .sort((a, b) => byText(a.spec.name, b.spec.name))
      .map((record) => redacted(serviceView(view, record, placement, init.mesh?.service(record.spec.name), addresses?.get(record.spec.name)), req.principal))
  })

  app.get<{ Params: NameParams }>('/v1/services/:name', async (req) => show(req, req.params.name))

  app.put<{ Params: NameParams }>('/v1/services/:name', writes, async (req, reply) => {
    // Secrets and configs resolve to the version each replica will run (stored.ts).
    const spec = resolveRefs(document, parseServiceSpec(requireBody(req.body), { name: req.params.name }))
    const before = document.service(spec.name)?.generation
    const result = await deployService(document, spec, init.resolveImage, { allowLowPorts: init.allowLowPorts === true })
    if (result.unpinned !== undefined) init.log.warn({ service: spec.name, reason: result.unpinned }, 'deploy recorded no image id')
    init.log.info({ service: spec.name, generation: result.record.generation, created: result.created, changed: result.changed }, 'service written')
    for (const event of writeEvents(spec.name, before, result)) emit(event)
    return await reply.status(result.created ? 201 : 200).send(show(req, spec.name, false))
  })

  app.post<{ Params: NameParams }>('/v1/services/:name/scale', writes, async (req) => {
    const { replicas } = parseScaleRequest(requireBody(req.body))
    const result = scaleService(document, req.params.name, replicas, { allowLowPorts: init.allowLowPorts === true })
    init.log.info({ service: req.params.name, replicas }, 'service scaled')
    if (result.changed) emit({ kind: 'service.scaled', service: req.params.name, replicas, message: `${req.params.name} scaled to ${replicas}` })
    return show(req, req.params.name, false)
  })

  app.post<{ Params: NameParams }>('/v1/services/:name/rollback', writes, async (req) => {
    const name = req.params.name
    const record = rollbackService(document, name, placedSlots(placeCluster(init.view()), name))
    init.log.info({ service: name, generation: record.generation }, 'service rolled back')
    emit({ kind: 'rollout.started', service: name, generation: record.generation, rollback: true, message: `${name}: rolling back to generation ${record.generation}` })
    return show(req, name)
  })

  app.delete<{ Params: NameParams }>('/v1/services/:name', writes, async (req) => {
    deleteService(document, req.params.name)
    init.log.info({ service: req.params.name }, 'service deleted')
    emit({ kind: 'service.removed', service: req.params.name, message: `${req.params.name} removed` })
    return { deleted: req.params.name }
  })

  // Records of the document this node ignores, and why.
  app.get('/v1/problems', async () => init.problems?.() ?? { total: 0, problems: [] })

  // This node's routing mesh: open connections, per-service and per-endpoint counters, listener problems; its ingress's per-route counters.
  app.get('/v1/mesh', async () => ({
    ...(init.mesh?.stats() ?? { connections: { active: 0, max: 0 }, services: [], problems: [] }),
    ...(init.ingress === undefined ? {} : { ingress: init.ingress() })
  }))

  // The digest of the encoded document: equal digests mean byte-identical state.
  app.get('/v1/debug/document', async () => {
    const state = document.encodeState()
    return { sha256: createHash('sha256').update(state).digest('hex'), bytes: state.byteLength }
  })

  app.get<{ Querystring: { service?: string } }>('/v1/replicas', async (req) => {
    const view = init.view()
    const services = req.query.service === undefined ? Object.keys(view.services) : [req.query.service]
    return services.flatMap((service) => replicaViews(view, service).map((r) => ({ service, ...r })))
  })
}

/** With If-Match, the service must still be at that version (it may be absent only with If-Match: *… not at all). */
function assertVersion (req: FastifyRequest<{ Params: NameParams }>, init: ApiInit): void {
  const header = req.headers['if-match']
  if (header === undefined) return
  const expected = header.replace(/^W\//, '').replace(/^"|"$/g, '').trim()
  const record = init.view().services[req.params.name]
  const current = record === undefined ? undefined : recordVersion(record)
  if (expected === '*' ? current !== undefined : current === expected) return
  throw new MeshdError('MESHD_CONFLICT', current === undefined
    ? `if-match: service "${req.params.name}" does not exist (expected version ${expected})`
    : `if-match: service "${req.params.name}" changed since version ${expected} (now ${current}); read it again and retry`, 'if-match')
}

/** The events of a service write: deployed or updated, and a rollout when the generation moved. */
function writeEvents (name: string, before: number | undefined, result: WriteResult): EventInput[] {
  const { generation } = result.record
  if (result.created) return [{ kind: 'service.deployed', service: name, generation, message: `${name} deployed (${result.record.spec.replicas} replicas of ${result.record.spec.image})` }]
  if (!result.changed) return []
  const updated: EventInput = { kind: 'service.updated', service: name, generation, message: `${name} updated${generation === before ? '' : ` to generation ${generation}`}` }
  if (generation === before) return [updated]
  return [updated, { kind: 'rollout.started', service: name, generation, message: `${name}: rolling out generation ${generation}` }]
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
