// Rules that span fields, checked once every field has the right shape. They run
// in a fixed order (ports, then health in field order) so the reported problem is
// always the same for the same input.

import type { HealthSpec, PortSpec } from '../../crdt/index.ts'
import { autoscaleProblem } from './autoscale.ts'
import { MAX_PORT, MIN_PORT } from './constants.ts'
import { normaliseConfigs, normaliseSecrets } from './files.ts'
import { ingressProblem } from './ingress.ts'
import type { SpecProblem } from './issues.ts'
import type { ServiceSpecInput } from './schema.ts'
import { stackProblem } from './stack.ts'
import { mountTargetProblem, volumeProblem } from './volumes.ts'

/** The first rule across fields that `spec` breaks, or undefined. */
export function crossFieldProblem (spec: ServiceSpecInput): SpecProblem | undefined {
  const ports = spec.ports ?? []
  return duplicatePublishedPort(ports) ??
    (spec.health === undefined ? undefined : healthProblem(spec.health, ports)) ??
    globalModeProblem(spec) ??
    limitBelowReservation(spec.resources) ??
    mountTargetProblem({ secrets: normaliseSecrets(spec.secrets ?? []), configs: normaliseConfigs(spec.configs ?? []), volumes: spec.volumes ?? [], tmpfs: spec.tmpfs ?? [] }) ??
    volumeProblem(spec.volumes ?? [], spec.backup) ??
    stackProblem(spec) ??
    autoscaleProblem(spec) ??
    ingressProblem(spec.ingress, ports) ??
    (spec.policy !== undefined && spec.allowFrom === undefined ? { path: ['policy'], message: 'only with allowFrom, expected allowFrom to say who is allowed' } : undefined)
}

// Placement reserves what a replica asks for; a limit below it reserves capacity the
// replica can never use (Kubernetes refuses requests above limits for the same reason).
function limitBelowReservation (resources: ServiceSpecInput['resources']): SpecProblem | undefined {
  const limits = resources?.limits
  if (limits === undefined) return undefined
  for (const field of ['cpus', 'memory'] as const) {
    const reserved = resources?.[field]
    const limit = limits[field]
    if (reserved !== undefined && limit !== undefined && limit < reserved) {
      return { path: ['resources', 'limits', field], message: `expected at least resources.${field} (${reserved}), the replica's reservation, got ${limit}` }
    }
  }
  return undefined
}

// A global service runs one replica per eligible node: a count would be ignored, so it is refused.
function globalModeProblem (spec: ServiceSpecInput): SpecProblem | undefined {
  if (spec.mode !== 'global') return undefined
  if (spec.replicas !== undefined) return { path: ['replicas'], message: 'not allowed when mode is "global", expected no replicas (one runs on every eligible node)' }
  if (spec.maxPerNode !== undefined) return { path: ['maxPerNode'], message: 'not allowed when mode is "global", expected no maxPerNode (one runs per node already)' }
  return undefined
}

// Each published port is bound on every node, so a spec cannot bind one twice. (A target
// behind two published ports is fine: the service's address listens on it once.)
function duplicatePublishedPort (ports: readonly PortSpec[]): SpecProblem | undefined {
  const published = new Map<number, number>()
  for (const [index, port] of ports.entries()) {
    if (port.published === undefined) continue
    const earlier = published.get(port.published)
    if (earlier !== undefined) {
      return { path: ['ports', index, 'published'], message: `expected a port not already published by ports[${earlier}], got ${port.published}` }
    }
    published.set(port.published, index)
  }
  return undefined
}

// Fields that a probe type would ignore are rejected: a silently ignored `path` on a
// tcp check is a misunderstanding the user should hear about.
function healthProblem (health: Pick<HealthSpec, 'type' | 'port' | 'path' | 'cmd'>, ports: readonly PortSpec[]): SpecProblem | undefined {
  const probesPort = health.type === 'tcp' || health.type === 'http'
  if (!probesPort && health.port !== undefined) {
    return { path: ['health', 'port'], message: `not allowed when health.type is "${health.type}", expected no port (only "tcp" and "http" probe a port)` }
  }
  if (probesPort && health.port === undefined && ports.length === 0) {
    return { path: ['health', 'port'], message: `missing, expected an integer between ${MIN_PORT} and ${MAX_PORT} since the service has no ports to take the target from` }
  }
  if (health.type !== 'http' && health.path !== undefined) {
    return { path: ['health', 'path'], message: `not allowed when health.type is "${health.type}", expected no path (only "http" requests one)` }
  }
  if (health.type === 'cmd' && health.cmd === undefined) {
    return { path: ['health', 'cmd'], message: 'missing, expected a non-empty array of strings when health.type is "cmd"' }
  }
  if (health.type !== 'cmd' && health.cmd !== undefined) {
    return { path: ['health', 'cmd'], message: `not allowed when health.type is "${health.type}", expected no cmd (only "cmd" runs one)` }
  }
  return undefined
}
