// The routes of stacks: /v1/stacks. A stack write needs services:write on every service
// it writes or removes (a deployer limited to "shop-*" may deploy the stack "shop"), and
// secrets:write when it brings files; all of it is checked before anything is written.
// A file's content never appears in an answer, an error message or a log line.

import type { FastifyInstance, FastifyRequest } from 'fastify'
import { refusalOf } from '../auth/index.ts'
import { placeCluster, notDead } from '../cluster/index.ts'
import type { ClusterView } from '../cluster/index.ts'
import { MeshdError } from '../errors.ts'
import { STACK_BODY_LIMIT } from './constants.ts'
import { imageIdOf, unpinnedNote } from './images.ts'
import { parseStackRequest } from './stack-body.ts'
import type { StackRequest } from './stack-body.ts'
import { applyStack, planRemoval, planStack, removeStack, stackFiles, stackNames, stackServices } from './stacks.ts'
import type { EventInput } from '../events/index.ts'
import type { StackAction, StackPlan, StackRemoval } from './stacks.ts'
import type { ApiInit } from './types.ts'
import { redacted, serviceView } from './views.ts'
import type { ServiceView } from './views.ts'

/** An item of `GET /v1/stacks`: replicas running (or healthy) on members not dead, of those desired. */
export interface StackSummary { name: string, services: number, desired: number, running: number }

/** `GET /v1/stacks/NAME`: its services, and the secrets and configs it created (which `DELETE` removes). */
export interface StackView { name: string, services: ServiceView[], secrets: string[], configs: string[] }

/** The answer of `PUT /v1/stacks/NAME` (also with dryRun, which writes nothing). */
export interface StackWriteView {
  stack: string
  dryRun: boolean
  /** `unpinned`: why no image id was recorded for the service (the deploy is written all the same). */
  services: Array<{ name: string, action: StackAction, generation: number, unpinned?: string }>
  secrets: Array<{ name: string, action: StackAction, version: number }>
  configs: Array<{ name: string, action: StackAction, version: number }>
  /** Services of the stack deleted because the body left them out (prune). */
  removed: string[]
  /** Services outside the body that follow the latest version of a file the write updated: they roll too. */
  rolled: string[]
}

/** The answer of `DELETE /v1/stacks/NAME`; `kept` lists the stack's files a service outside it still uses. */
export interface StackRemovedView {
  removed: { services: string[], secrets: string[], configs: string[] }
  kept: StackRemoval['kept']
}

type NameParams = { name: string }

export function registerStackRoutes (app: FastifyInstance, init: ApiInit): void {
  const { document } = init
  const stored = () => init.stored?.() ?? { secrets: document.secrets(), configs: document.configs() }

  app.get('/v1/stacks', async (): Promise<StackSummary[]> => {
    const view = init.view()
    const files = stored()
    const placement = placeCluster(view)
    return stackNames(view.services, [files.secrets, files.configs]).map((name) => {
      const records = stackServices(view.services, name)
      const desired = records.reduce((sum, r) => sum + (r.spec.mode === 'global' ? placement.assignments.filter((a) => a.service === r.spec.name).length : r.spec.replicas), 0)
      return { name, services: records.length, desired, running: runningOf(view, records.map((r) => r.spec.name)) }
    })
  })

  app.get<{ Params: NameParams }>('/v1/stacks/:name', async (req): Promise<StackView> => {
    const { name } = req.params
    const view = init.view()
    const files = stored()
    const records = stackServices(view.services, name)
    const secrets = stackFiles(files.secrets, name)
    const configs = stackFiles(files.configs, name)
    if (records.length === 0 && secrets.length === 0 && configs.length === 0) throw notFound(name)
    const placement = placeCluster(view)
    const addresses = init.addresses?.(view.services)
    const services = records.map((r) => redacted(serviceView(view, r, placement, init.mesh?.service(r.spec.name), addresses?.get(r.spec.name)), req.principal))
    return { name, services, secrets, configs }
  })

  app.put<{ Params: NameParams }>('/v1/stacks/:name', { config: { permission: 'services:write' }, bodyLimit: STACK_BODY_LIMIT }, async (req): Promise<StackWriteView> => {
    const request = parseStackRequest(req.body, req.params.name)
    try {
      assertAllowed(req, request.services.map((s) => s.name), request.files.length > 0)
      const opts = { allowLowPorts: init.allowLowPorts === true, images: await imagesOf(request, init), ...(init.secretsKey === undefined ? {} : { secretsKey: init.secretsKey }) }
      // From here to the write nothing awaits: the plan is of the document the write changes.
      const plan = planStack(document, request, opts)
      assertAllowed(req, plan.removed, false)
      if (!request.dryRun) applyStack(document, plan, opts)
      const counts = Object.fromEntries((['created', 'updated', 'unchanged'] as const).map((a) => [a, plan.services.filter((s) => s.action === a).length]))
      init.log.info({ stack: plan.stack, dryRun: request.dryRun, ...counts, removed: plan.removed, rolled: plan.rolled, by: req.principal?.name }, request.dryRun ? 'stack planned' : 'stack written')
      for (const s of plan.services) if (s.unpinned !== undefined && !request.dryRun) init.log.warn({ service: s.name, reason: s.unpinned }, 'deploy recorded no image id')
      if (!request.dryRun) for (const event of stackEvents(plan)) init.events?.bus.emit(event)
      return writeView(plan, request.dryRun)
    } finally {
      for (const file of request.files) file.content.fill(0)
    }
  })

  app.delete<{ Params: NameParams }>('/v1/stacks/:name', { config: { permission: 'services:write' } }, async (req): Promise<StackRemovedView> => {
    const removal = planRemoval(document, req.params.name)
    assertAllowed(req, removal.services, removal.secrets.length + removal.configs.length > 0)
    removeStack(document, removal)
    for (const name of removal.services) init.events?.bus.emit({ kind: 'service.removed', service: name, stack: req.params.name, message: `${name} removed (stack ${req.params.name})` })
    init.log.info({ stack: req.params.name, services: removal.services, secrets: removal.secrets, configs: removal.configs, kept: removal.kept.map((k) => k.name), by: req.principal?.name }, 'stack removed')
    return { removed: { services: removal.services, secrets: removal.secrets, configs: removal.configs }, kept: removal.kept }
  })
}

/** The events of a stack write: each service deployed or updated, and each one the write removed. */
function stackEvents (plan: StackPlan): EventInput[] {
  const { stack } = plan
  return [
    ...plan.services.flatMap((s): EventInput[] => s.action === 'unchanged' ? [] : [{ kind: s.action === 'created' ? 'service.deployed' : 'service.updated', service: s.name, stack, generation: s.generation, message: `${s.name} ${s.action === 'created' ? 'deployed' : 'updated'} (stack ${stack})` }]),
    ...plan.removed.map((name): EventInput => ({ kind: 'service.removed', service: name, stack, message: `${name} removed (stack ${stack})` }))
  ]
}

/** MESHD_FORBIDDEN unless the token may write each of `services` (and secrets, with `files`). */
function assertAllowed (req: FastifyRequest, services: readonly string[], files: boolean): void {
  const principal = req.principal
  if (principal === undefined) return
  const refusals = [...services.map((name) => refusalOf(principal, 'services:write', name)), files ? refusalOf(principal, 'secrets:write') : undefined]
  const refused = refusals.find((r) => r !== undefined)
  if (refused !== undefined) throw new MeshdError('MESHD_FORBIDDEN', refused, 'authorization')
}

/** The image id each service's image names on this node (looked up at once), for the record. */
async function imagesOf (request: StackRequest, init: ApiInit): Promise<Map<string, { imageId?: string, unpinned?: string }>> {
  const resolve = init.resolveImage
  if (resolve === undefined) return new Map()
  const found = await Promise.all(request.services.map(async (spec) => [spec.name, await imageIdOf(spec.image, resolve)] as const))
  return new Map(found.map(([name, image]) => [name, image.unpinned === undefined ? image : { ...image, unpinned: unpinnedNote(image.unpinned) }]))
}

function writeView (plan: StackPlan, dryRun: boolean): StackWriteView {
  const files = (kind: 'secret' | 'config') => plan.files.filter((f) => f.kind === kind).map((f) => ({ name: f.name, action: f.action, version: f.version }))
  return {
    stack: plan.stack,
    dryRun,
    services: plan.services.map((s) => ({ name: s.name, action: s.action, generation: s.generation, ...(s.unpinned === undefined ? {} : { unpinned: s.unpinned }) })),
    secrets: files('secret'),
    configs: files('config'),
    removed: plan.removed,
    rolled: plan.rolled
  }
}

/** Replicas of these services running or healthy on members not dead. */
function runningOf (view: ClusterView, services: readonly string[]): number {
  const names = new Set(services)
  return view.replicas.filter(({ nodeId, replica }) => names.has(replica.service) && (replica.state === 'running' || replica.state === 'healthy') && notDead(view, nodeId)).length
}

function notFound (name: string): MeshdError {
  return new MeshdError('MESHD_STACK_NOT_FOUND', `stack "${name}" not found: no service and no secret or config belongs to it`, 'name')
}
