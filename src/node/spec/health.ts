// The health check as the prober needs it: every default applied and every duration
// in milliseconds, so the prober never parses or guesses.

import type { ServiceSpec } from '../../crdt/index.ts'
import type { ResolvedHealth } from '../health/index.ts'
import { HEALTH_DEFAULTS } from './constants.ts'
import { parseDuration } from './duration.ts'

export type { ResolvedHealth }

/** The resolved check of a spec returned by parseServiceSpec, or undefined when it has none. */
export function resolveHealth (spec: ServiceSpec): ResolvedHealth | undefined {
  const health = spec.health
  if (health === undefined) return undefined
  const port = health.port ?? spec.ports[0]?.target
  return {
    type: health.type,
    ...(port === undefined ? {} : { port }),
    path: health.path ?? HEALTH_DEFAULTS.path,
    cmd: [...(health.cmd ?? [])],
    intervalMs: health.interval === undefined ? HEALTH_DEFAULTS.intervalMs : parseDuration(health.interval),
    timeoutMs: health.timeout === undefined ? HEALTH_DEFAULTS.timeoutMs : parseDuration(health.timeout),
    retries: health.retries ?? HEALTH_DEFAULTS.retries,
    startPeriodMs: health.startPeriod === undefined ? HEALTH_DEFAULTS.startPeriodMs : parseDuration(health.startPeriod)
  }
}
