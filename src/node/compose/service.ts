// One Compose service → one meshd service spec (STACK-SERVICE, stack: STACK). Every key
// is honoured, or noted with the reason it is not; `origins` remembers which Compose
// key each spec field came from, so a spec error can be placed in the file.

import { applyDeploy, deployLabels, restartOf } from './deploy.ts'
import { mapOf, note, noteOthers, numberOf, problem } from './context.ts'
import type { Context } from './context.ts'
import { refsOf } from './files.ts'
import type { Declared } from './files.ts'
import { healthOf } from './health.ts'
import { mountsOf } from './mounts.ts'
import type { Mounts } from './mounts.ts'
import { portsOf } from './ports.ts'
import { SERVICE_REASONS } from './reasons.ts'
import type { ComposePath } from './types.ts'
import { envFiles, keyValueMap, signalOf, words } from './values.ts'

const HONOURED = [
  'image', 'command', 'entrypoint', 'environment', 'env_file', 'ports', 'expose', 'healthcheck', 'restart', 'deploy', 'labels',
  'user', 'working_dir', 'stop_grace_period', 'stop_signal', 'volumes', 'tmpfs', 'secrets', 'configs', 'depends_on', 'scale'
]

/** What the stack knows when it maps a service. */
export interface StackScope {
  /** The Compose service keys of the file, for depends_on. */
  services: ReadonlySet<string>
  volumes: ReadonlySet<string>
  secrets: Declared
  configs: Declared
}

export interface MappedService {
  spec: Record<string, unknown>
  /** The Compose key each top-level spec field came from. */
  origins: Map<string, ComposePath>
  used: Mounts['used']
}

/** Sets a spec field (unless undefined) and remembers the Compose key it came from. */
type Setter = (field: string, value: unknown, from: string) => void

/** The meshd spec of the Compose service `key`. */
export function serviceSpec (ctx: Context, key: string, service: Record<string, unknown>, scope: StackScope): MappedService {
  const at: ComposePath = ['services', key]
  const spec: Record<string, unknown> = { name: `${ctx.stack}-${key}`, stack: ctx.stack }
  const origins = new Map<string, ComposePath>([['name', at], ['stack', at]])
  const set: Setter = (field, value, from) => {
    if (value === undefined) return
    spec[field] = value
    origins.set(field, [...at, from])
  }
  noteOthers(ctx, at, service, HONOURED, SERVICE_REASONS, 'not used by meshd')
  mapProcess(ctx, at, service, set)
  mapScheduling(ctx, at, service, set)
  const used = mapData(ctx, at, service, scope, set)
  const dependsOn = dependenciesOf(ctx, [...at, 'depends_on'], service.depends_on, scope.services)
  if (dependsOn.length > 0) set('dependsOn', dependsOn, 'depends_on')
  applyExtension(ctx, at, service['x-meshd'], spec, origins, scope.services)
  return { spec, origins, used }
}

// What runs in the container: image, command, environment, ports, health, user, stop.
function mapProcess (ctx: Context, at: ComposePath, service: Record<string, unknown>, set: Setter): void {
  if (typeof service.image === 'string') set('image', service.image, 'image')
  else problem(ctx, at, service.build === undefined ? 'no image: meshd runs images' : 'no image: meshd builds none; build and push the image, then name it in image:')
  set('command', words(ctx, [...at, 'command'], service.command), 'command')
  set('entrypoint', words(ctx, [...at, 'entrypoint'], service.entrypoint), 'entrypoint')
  const fromFiles = service.env_file === undefined ? {} : envFiles(ctx, [...at, 'env_file'], service.env_file)
  const env = { ...fromFiles, ...keyValueMap(service.environment, (name) => ctx.vars[name]) }
  if (Object.keys(env).length > 0) set('env', env, service.environment === undefined ? 'env_file' : 'environment')
  const ports = portsOf(ctx, at, service.ports, service.expose)
  if (ports.length > 0) set('ports', ports, service.ports === undefined ? 'expose' : 'ports')
  const check = mapOf(service.healthcheck)
  if (check !== undefined) set('health', healthOf(ctx, [...at, 'healthcheck'], check), 'healthcheck')
  if (service.user !== undefined) set('user', String(service.user), 'user')
  if (service.working_dir !== undefined) set('workingDir', String(service.working_dir), 'working_dir')
  if (service.stop_signal !== undefined) set('stopSignal', signalOf(service.stop_signal), 'stop_signal')
  if (service.stop_grace_period !== undefined) set('stopGracePeriod', String(service.stop_grace_period), 'stop_grace_period')
}

// How many replicas run where, restart, update and labels: scale and restart, then deploy over them.
function mapScheduling (ctx: Context, at: ComposePath, service: Record<string, unknown>, set: Setter): void {
  if (service.scale !== undefined) set('replicas', numberOf(service.scale) ?? service.scale, 'scale')
  if (service.restart !== undefined) set('restart', restartOf(ctx, [...at, 'restart'], service.restart), 'restart')
  const deploy = mapOf(service.deploy)
  if (deploy !== undefined) {
    if (deploy.restart_policy !== undefined && service.restart !== undefined) note(ctx, [...at, 'restart'], 'deploy.restart_policy is used instead')
    const fromDeploy: Record<string, unknown> = {}
    applyDeploy(ctx, [...at, 'deploy'], deploy, fromDeploy)
    for (const [field, value] of Object.entries(fromDeploy)) set(field, value, 'deploy')
  }
  const labels = { ...deployLabels(deploy), ...keyValueMap(service.labels, () => '') }
  if (Object.keys(labels).length > 0) set('labels', labels, service.labels === undefined ? 'deploy' : 'labels')
}

// What the replicas mount: volumes, tmpfs, secrets and configs.
function mapData (ctx: Context, at: ComposePath, service: Record<string, unknown>, scope: StackScope, set: Setter): Mounts['used'] {
  const mounts = mountsOf(ctx, at, service.volumes, service.tmpfs, scope.volumes)
  if (mounts.volumes.length > 0) set('volumes', mounts.volumes, 'volumes')
  if (mounts.tmpfs.length > 0) set('tmpfs', mounts.tmpfs, service.tmpfs === undefined ? 'volumes' : 'tmpfs')
  const secrets = refsOf(ctx, at, 'secrets', service.secrets, scope.secrets)
  if (secrets.length > 0) set('secrets', secrets, 'secrets')
  const configs = refsOf(ctx, at, 'configs', service.configs, scope.configs)
  if (configs.length > 0) set('configs', configs, 'configs')
  return mounts.used
}

function dependenciesOf (ctx: Context, path: ComposePath, value: unknown, services: ReadonlySet<string>): Array<{ service: string, condition: string }> {
  if (value === undefined) return []
  const entries: Array<[string, Record<string, unknown>]> = Array.isArray(value)
    ? value.map((name) => [String(name), {}])
    : Object.entries(mapOf(value) ?? {}).map(([name, options]) => [name, mapOf(options) ?? {}])
  const out: Array<{ service: string, condition: string }> = []
  entries.forEach(([name, options], index) => {
    const at = Array.isArray(value) ? [...path, index] : [...path, name]
    const required = options.required !== false && options.required !== 'false'
    if (!services.has(name)) {
      if (required) problem(ctx, at, `service ${JSON.stringify(name)} is not in this file`)
      else note(ctx, at, `service ${JSON.stringify(name)} is not in this file: not waited for (required: false)`)
      return
    }
    noteOthers(ctx, at, options, ['condition', 'required'], {
      restart: 'meshd does not restart a service when one it depends on is updated'
    }, 'not used by meshd')
    let condition = 'started'
    if (options.condition === 'service_healthy') condition = 'healthy'
    else if (options.condition === 'service_completed_successfully') {
      note(ctx, [...at, 'condition'], 'meshd runs services, not one-off jobs: it waits for the service to be started')
    }
    out.push({ service: `${ctx.stack}-${name}`, condition })
  })
  return out
}

// x-meshd: meshd's own fields (allowFrom, policy, backup, …), over what the Compose keys
// gave. allowFrom may name the stack's services by their short names.
function applyExtension (ctx: Context, at: ComposePath, extension: unknown, spec: Record<string, unknown>, origins: Map<string, ComposePath>, services: ReadonlySet<string>): void {
  if (extension === undefined || extension === null) return
  const fields = mapOf(extension)
  if (fields === undefined) { problem(ctx, [...at, 'x-meshd'], 'expected a map of meshd spec fields, such as allowFrom: [STACK-web]'); return }
  for (const [field, value] of Object.entries(fields)) {
    if (field === 'name' || field === 'stack') { problem(ctx, [...at, 'x-meshd', field], 'set by the stack: STACK-SERVICE and STACK'); continue }
    const given = field === 'allowFrom' && Array.isArray(value) ? value.map((name) => services.has(String(name)) ? `${ctx.stack}-${String(name)}` : name) : value
    Object.defineProperty(spec, field, { value: given, enumerable: true, writable: true, configurable: true })
    origins.set(field, [...at, 'x-meshd', field])
  }
}
