// Compose deploy (Swarm's section) and restart → meshd's mode, replicas, placement,
// resources, restart and update. rollback_config has no meshd counterpart: a rollback
// runs at the pace of the update settings of the spec it returns to.

import { mapOf, note, noteOthers, numberOf, problem } from './context.ts'
import type { Context } from './context.ts'
import type { ComposePath } from './types.ts'
import { bytesOf, keyValueMap } from './values.ts'

const HONOURED = ['mode', 'replicas', 'placement', 'resources', 'restart_policy', 'update_config', 'labels']
// The constraint fields meshd's placement knows; Swarm's others (node.role, node.platform.*, engine.labels.*) have no meaning here.
const KNOWN_CONSTRAINT = /^\s*node\.(id|name|hostname|labels\.[^=!\s]+)\s*(==|!=)/

/** The spec fields of a deploy map, written into `spec`. */
export function applyDeploy (ctx: Context, path: ComposePath, deploy: Record<string, unknown>, spec: Record<string, unknown>): void {
  noteOthers(ctx, path, deploy, HONOURED, {
    endpoint_mode: 'meshd gives each service one address and balances over its healthy replicas (like "vip"); DNS round robin is not offered',
    rollback_config: 'meshd rolls a service back at the pace of the update settings (update_config) of the spec it returns to; a pace of its own for rollbacks is not kept'
  }, 'not used by meshd')
  if (deploy.mode !== undefined) {
    if (deploy.mode === 'replicated' || deploy.mode === 'global') spec.mode = deploy.mode
    else problem(ctx, [...path, 'mode'], `expected "replicated" or "global" (meshd runs services, not jobs), got ${JSON.stringify(deploy.mode)}`)
  }
  if (deploy.replicas !== undefined) spec.replicas = numberOf(deploy.replicas) ?? deploy.replicas
  const placement = mapOf(deploy.placement)
  if (placement !== undefined) applyPlacement(ctx, [...path, 'placement'], placement, spec)
  const resources = mapOf(deploy.resources)
  if (resources !== undefined) spec.resources = resourcesOf(ctx, [...path, 'resources'], resources)
  const policy = mapOf(deploy.restart_policy)
  if (policy !== undefined) spec.restart = restartPolicyOf(ctx, [...path, 'restart_policy'], policy)
  const update = mapOf(deploy.update_config)
  if (update !== undefined) spec.update = updateOf(ctx, [...path, 'update_config'], update)
}

/** Service labels of the deploy section (Swarm puts them on the service; meshd has one kind). */
export function deployLabels (deploy: Record<string, unknown> | undefined): Record<string, string> {
  return deploy?.labels === undefined ? {} : keyValueMap(deploy.labels, () => '')
}

function applyPlacement (ctx: Context, path: ComposePath, placement: Record<string, unknown>, spec: Record<string, unknown>): void {
  noteOthers(ctx, path, placement, ['constraints', 'max_replicas_per_node'], {
    preferences: 'meshd spreads the replicas of a service across nodes already'
  }, 'not used by meshd')
  if (Array.isArray(placement.constraints)) {
    const kept: string[] = []
    placement.constraints.forEach((text, index) => {
      if (KNOWN_CONSTRAINT.test(String(text))) kept.push(String(text))
      else note(ctx, [...path, 'constraints', index], 'left out: meshd places by node.id, node.name (node.hostname) and node.labels.KEY only')
    })
    if (kept.length > 0) spec.constraints = kept
  }
  if (placement.max_replicas_per_node !== undefined) spec.maxPerNode = numberOf(placement.max_replicas_per_node) ?? placement.max_replicas_per_node
}

function resourcesOf (ctx: Context, path: ComposePath, resources: Record<string, unknown>): Record<string, unknown> {
  noteOthers(ctx, path, resources, ['limits', 'reservations'], {}, 'not used by meshd')
  const out: Record<string, unknown> = {}
  const reservations = mapOf(resources.reservations)
  if (reservations !== undefined) {
    const at = [...path, 'reservations']
    noteOthers(ctx, at, reservations, ['cpus', 'memory'], {
      devices: 'meshd reserves cpus and memory only, and passes no device to a replica',
      generic_resources: 'meshd reserves cpus and memory only'
    }, 'not used by meshd')
    if (reservations.cpus !== undefined) out.cpus = numberOf(reservations.cpus) ?? reservations.cpus
    if (reservations.memory !== undefined) out.memory = size(ctx, [...at, 'memory'], reservations.memory)
  }
  const limits = mapOf(resources.limits)
  if (limits !== undefined) {
    const at = [...path, 'limits']
    noteOthers(ctx, at, limits, ['cpus', 'memory', 'pids'], {}, 'meshd limits cpus, memory and pids only')
    const limited: Record<string, unknown> = {}
    if (limits.cpus !== undefined) limited.cpus = numberOf(limits.cpus) ?? limits.cpus
    if (limits.memory !== undefined) limited.memory = size(ctx, [...at, 'memory'], limits.memory)
    if (limits.pids !== undefined) limited.pids = numberOf(limits.pids) ?? limits.pids
    out.limits = limited
  }
  return out
}

function size (ctx: Context, path: ComposePath, value: unknown): unknown {
  const bytes = bytesOf(value)
  if (bytes === undefined) problem(ctx, path, `expected a size such as "512M" or "1g", got ${JSON.stringify(value)}`)
  return bytes ?? value
}

function restartPolicyOf (ctx: Context, path: ComposePath, policy: Record<string, unknown>): Record<string, unknown> {
  noteOthers(ctx, path, policy, ['condition', 'delay', 'max_attempts', 'window'], {}, 'not used by meshd')
  const out: Record<string, unknown> = {}
  if (policy.condition !== undefined) out.condition = policy.condition
  if (policy.delay !== undefined) out.delay = String(policy.delay)
  if (policy.max_attempts !== undefined) out.maxAttempts = numberOf(policy.max_attempts) ?? policy.max_attempts
  if (policy.window !== undefined) out.window = String(policy.window)
  return out
}

/** Compose's restart: "no", "always", "unless-stopped", "on-failure[:N]". */
export function restartOf (ctx: Context, path: ComposePath, value: unknown): Record<string, unknown> | undefined {
  const text = String(value)
  if (text === 'no') return { condition: 'none' }
  // meshd never stops a replica by hand, so "unless-stopped" is "always".
  if (text === 'always' || text === 'unless-stopped') return { condition: 'any' }
  const failure = /^on-failure(?::(\d+))?$/.exec(text)
  if (failure !== null) return { condition: 'on-failure', ...(failure[1] === undefined ? {} : { maxAttempts: Number(failure[1]) }) }
  problem(ctx, path, `expected "no", "always", "unless-stopped" or "on-failure[:N]", got ${JSON.stringify(text)}`)
  return undefined
}

function updateOf (ctx: Context, path: ComposePath, update: Record<string, unknown>): Record<string, unknown> {
  noteOthers(ctx, path, update, ['parallelism', 'delay', 'failure_action', 'monitor', 'max_failure_ratio', 'order'], {}, 'not used by meshd')
  const out: Record<string, unknown> = {}
  const parallelism = numberOf(update.parallelism)
  if (parallelism === 0) note(ctx, [...path, 'parallelism'], '0 (all at once) is not offered: meshd updates one replica at a time unless a parallelism of 1 or more is given')
  else if (update.parallelism !== undefined) out.parallelism = parallelism ?? update.parallelism
  if (update.delay !== undefined) out.delay = String(update.delay)
  if (update.failure_action !== undefined) out.failureAction = update.failure_action
  if (update.monitor !== undefined) out.monitor = String(update.monitor)
  if (update.max_failure_ratio !== undefined) out.maxFailureRatio = numberOf(update.max_failure_ratio) ?? update.max_failure_ratio
  if (update.order !== undefined) out.order = update.order
  return out
}
