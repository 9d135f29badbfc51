// The validated spec is rebuilt field by field: a fresh object in a fixed key order,
// with defaults filled in and no undefined-valued keys, sharing nothing with the
// request body (which the caller may keep or log).

import type { HealthSpec, ServiceSpec } from '../../crdt/index.ts'
import type { ServiceSpecInput } from './schema.ts'
import { normaliseAutoscale, startingReplicas } from './autoscale.ts'
import { DEFAULT_REPLICAS } from './constants.ts'
import { normaliseConfigs, normaliseSecrets } from './files.ts'
import { normaliseIngress } from './ingress.ts'
import { normaliseDependsOn } from './stack.ts'
import { normaliseBackup, normaliseTmpfs, normaliseVolumes } from './volumes.ts'


/** The ServiceSpec for a validated input, with defaults: replicas 1, env {}, ports [], labels {}. */
export function normaliseSpec (input: ServiceSpecInput): ServiceSpec {
  return {
    name: input.name,
    image: input.image,
    ...(input.command === undefined ? {} : { command: [...input.command] }),
    ...(input.entrypoint === undefined ? {} : { entrypoint: [...input.entrypoint] }),
    ...(input.user === undefined ? {} : { user: input.user }),
    ...(input.workingDir === undefined ? {} : { workingDir: input.workingDir }),
    ...(input.stopSignal === undefined ? {} : { stopSignal: input.stopSignal }),
    ...(input.stopGracePeriod === undefined ? {} : { stopGracePeriod: input.stopGracePeriod }),
    // Object.fromEntries defines own properties, so no key can reach a prototype.
    env: Object.fromEntries(Object.entries(input.env ?? {})),
    replicas: input.replicas ?? (input.autoscale === undefined ? DEFAULT_REPLICAS : startingReplicas(input.autoscale, DEFAULT_REPLICAS)),
    ports: (input.ports ?? []).map((port) => ({ ...(port.published === undefined ? {} : { published: port.published }), target: port.target, ...(port.proxyProtocol === true ? { proxyProtocol: true } : {}) })),
    ...(input.health === undefined ? {} : { health: copyHealth(input.health) }),
    labels: Object.fromEntries(Object.entries(input.labels ?? {})),
    ...(input.mode === undefined ? {} : { mode: input.mode }),
    ...(input.constraints === undefined ? {} : { constraints: input.constraints.map((text) => text.trim()) }),
    ...(input.maxPerNode === undefined ? {} : { maxPerNode: input.maxPerNode }),
    ...(input.resources === undefined ? {} : { resources: copyResources(input.resources) }),
    ...(input.update === undefined ? {} : { update: definedOnly(input.update) }),
    ...(input.restart === undefined ? {} : { restart: definedOnly(input.restart) }),
    ...(input.allowFrom === undefined ? {} : { allowFrom: [...new Set(input.allowFrom)].sort() }),
    ...(input.policy === undefined ? {} : { policy: input.policy }),
    ...(input.secrets === undefined || input.secrets.length === 0 ? {} : { secrets: normaliseSecrets(input.secrets) }),
    ...(input.configs === undefined || input.configs.length === 0 ? {} : { configs: normaliseConfigs(input.configs) }),
    ...(input.volumes === undefined || input.volumes.length === 0 ? {} : { volumes: normaliseVolumes(input.volumes) }),
    ...(input.tmpfs === undefined || input.tmpfs.length === 0 ? {} : { tmpfs: normaliseTmpfs(input.tmpfs) }),
    ...(input.backup === undefined ? {} : { backup: normaliseBackup(input.backup) }),
    ...(input.stack === undefined ? {} : { stack: input.stack }),
    ...(input.dependsOn === undefined || input.dependsOn.length === 0 ? {} : { dependsOn: normaliseDependsOn(input.dependsOn) }),
    ...(input.autoscale === undefined ? {} : { autoscale: normaliseAutoscale(input.autoscale) }),
    ...(input.ingress === undefined || input.ingress.length === 0 ? {} : { ingress: normaliseIngress(input.ingress) })
  }
}

// Only the fields that were written: the stored spec says what the user asked for,
// and resolveHealth applies the defaults when the check runs.
function copyHealth (health: HealthSpec): HealthSpec {
  const copy: HealthSpec = { type: health.type }
  if (health.port !== undefined) copy.port = health.port
  if (health.path !== undefined) copy.path = health.path
  if (health.cmd !== undefined) copy.cmd = [...health.cmd]
  if (health.interval !== undefined) copy.interval = health.interval
  if (health.timeout !== undefined) copy.timeout = health.timeout
  if (health.retries !== undefined) copy.retries = health.retries
  if (health.startPeriod !== undefined) copy.startPeriod = health.startPeriod
  return copy
}

// Memory limits arrive in bytes already (schema.ts), so "64MiB" and 67108864 store alike
// and writing the same limit another way is no change.
function copyResources (resources: NonNullable<ServiceSpecInput['resources']>): NonNullable<ServiceSpec['resources']> {
  const { limits, ...reservations } = resources
  return { ...definedOnly(reservations), ...(limits === undefined ? {} : { limits: definedOnly(limits) }) }
}

/** A copy without undefined-valued keys. */
function definedOnly<T extends object> (value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}
