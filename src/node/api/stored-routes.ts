// The routes of secrets and configs: /v1/secrets and /v1/configs, the same for both but
// that a config's content can be read back (?show=1). A body's `data` never appears in
// an answer, an error message or a log line.

import type { FastifyInstance } from 'fastify'
import { seesSecrets } from '../auth/index.ts'
import { MeshdError } from '../errors.ts'
import { specLimits } from '../spec/index.ts'
import { createStored, removeStored, storeOf, updateStored, versionsByName } from './stored.ts'
import type { StoredKind } from './stored.ts'
import { storedView } from './stored-views.ts'
import type { ConfigContentView, StoredView } from './stored-views.ts'
import type { ApiInit } from './types.ts'

const NAME = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

type NameParams = { name: string }

export function registerStoredRoutes (app: FastifyInstance, init: ApiInit): void {
  for (const kind of ['secret', 'config'] as const) register(app, init, kind)
}

function register (app: FastifyInstance, init: ApiInit, kind: StoredKind): void {
  const { document } = init
  const base = `/v1/${kind}s`
  const writes = { config: { permission: 'secrets:write' } } as const
  const records = () => {
    const stored = init.stored?.()
    return kind === 'secret' ? stored?.secrets ?? document.secrets() : stored?.configs ?? document.configs()
  }
  const viewOf = (name: string): StoredView => {
    const versions = versionsByName(records()).get(name)
    if (versions === undefined) throw new MeshdError(storeOf(document, kind).notFound, `no ${kind} "${name}"`, 'name')
    return storedView(init.view(), kind, versions)
  }
  const options = () => ({ secretsKey: secretsKey(init), allowLowPorts: init.allowLowPorts === true })

  app.post(base, writes, async (req, reply) => {
    const { name, data } = parseBody(req.body, kind, true)
    const record = createStored(document, kind, name, data, options())
    data.fill(0)
    init.log.info({ [kind]: name, version: record.version, size: record.size, by: req.principal?.name }, `${kind} created`)
    return await reply.status(201).send(viewOf(name))
  })

  app.put<{ Params: NameParams }>(`${base}/:name`, writes, async (req) => {
    const { data } = parseBody(req.body, kind, false)
    const { record, rolled } = updateStored(document, kind, req.params.name, data, options())
    data.fill(0)
    init.log.info({ [kind]: req.params.name, version: record.version, size: record.size, rolled, by: req.principal?.name }, `${kind} updated`)
    return viewOf(req.params.name)
  })

  app.get(base, async () => [...versionsByName(records()).values()].map((versions) => storedView(init.view(), kind, versions)))

  app.get<{ Params: NameParams, Querystring: { show?: string } }>(`${base}/:name`, async (req): Promise<StoredView | ConfigContentView> => {
    const view = viewOf(req.params.name)
    if (req.query.show !== '1' && req.query.show !== 'true') return view
    if (kind === 'secret') throw new MeshdError('MESHD_FORBIDDEN', 'show: a secret\'s value is never shown; only replicas that use it read it', 'show')
    if (!seesSecrets(req.principal)) throw new MeshdError('MESHD_FORBIDDEN', `show: token "${req.principal?.name ?? ''}" has role viewer, which may not read a config's content`, 'show')
    const latest = versionsByName(records()).get(req.params.name)!.at(-1)!
    return { ...view, data: (latest as { data: string }).data }
  })

  app.delete<{ Params: NameParams }>(`${base}/:name`, { config: { permission: 'secrets:write' } }, async (req) => {
    removeStored(document, kind, req.params.name)
    init.log.info({ [kind]: req.params.name, by: req.principal?.name }, `${kind} removed`)
    return { removed: req.params.name }
  })
}

function secretsKey (init: ApiInit): Buffer {
  if (init.secretsKey === undefined) throw new MeshdError('MESHD_INTERNAL', 'this node has no secrets key')
  return init.secretsKey
}

/** `{name, data}` (create) or `{data}` (update), data in base64. Never echoes data. */
function parseBody (body: unknown, kind: StoredKind, create: boolean): { name: string, data: Buffer } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body', `expected an object ${create ? '{name, data}' : '{data}'}`)
  const fields = body as Record<string, unknown>
  const known = create ? ['name', 'data'] : ['data']
  const extra = Object.keys(fields).find((key) => !known.includes(key))
  if (extra !== undefined) throw invalid(extra, `unknown field, expected one of ${known.join(', ')}`)
  const name = create ? fields.name : ''
  if (create && (typeof name !== 'string' || name.length > specLimits.MAX_NAME_LENGTH || !NAME.test(name))) {
    throw invalid('name', `expected a DNS label (lowercase letters, digits and "-", starting with a letter, at most ${specLimits.MAX_NAME_LENGTH} characters) for the ${kind}'s name`)
  }
  const data = fields.data
  if (typeof data !== 'string' || !BASE64.test(data)) throw invalid('data', `expected the ${kind}'s content in base64 (the value is not shown)`)
  return { name: name as string, data: Buffer.from(data, 'base64') }
}

function invalid (path: string, message: string): MeshdError {
  return new MeshdError('MESHD_INVALID_SPEC', `${path}: ${message}`, path)
}
