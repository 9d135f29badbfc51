// `autoscale`: the bounds and targets of a service's autoscaler, and the rules that tie
// them to the rest of the spec (a CPU target needs a CPU to be a percentage of).

import * as z from 'zod'
import type { AutoscaleSpec } from '../../crdt/index.ts'
import { MAX_AUTOSCALE_CONNECTIONS, MAX_AUTOSCALE_CPU, MAX_AUTOSCALE_RPS, MAX_AUTOSCALE_WINDOW_MS, MAX_REPLICAS } from './constants.ts'
import type { SpecProblem } from './issues.ts'
import { duration, integer, strictObject } from './shapes.ts'

const rpsError = `a number above 0, at most ${MAX_AUTOSCALE_RPS}`

/** The autoscale field of serviceSpecSchema. */
export const autoscaleSchema = strictObject({
  min: integer(0, MAX_REPLICAS),
  max: integer(1, MAX_REPLICAS),
  cpu: integer(1, MAX_AUTOSCALE_CPU).optional(),
  connections: integer(1, MAX_AUTOSCALE_CONNECTIONS).optional(),
  requestsPerSecond: z.number({ error: rpsError }).gt(0, { error: rpsError }).max(MAX_AUTOSCALE_RPS, { error: rpsError }).optional(),
  scaleUp: strictObject({
    window: duration(0, MAX_AUTOSCALE_WINDOW_MS).optional(),
    step: integer(1, MAX_REPLICAS).optional()
  }, 'an object {window, step}').optional(),
  scaleDown: strictObject({
    window: duration(0, MAX_AUTOSCALE_WINDOW_MS).optional()
  }, 'an object {window}').optional()
}, 'an object {min, max, cpu, connections, requestsPerSecond, scaleUp, scaleDown}')

type AutoscaleInput = z.output<typeof autoscaleSchema>

interface SpecFields {
  replicas?: number
  mode?: string
  resources?: { cpus?: number, limits?: { cpus?: number } }
  autoscale?: AutoscaleInput
}

/** Why a spec's autoscale breaks a rule across fields, or undefined. */
export function autoscaleProblem (spec: SpecFields): SpecProblem | undefined {
  const autoscale = spec.autoscale
  if (autoscale === undefined) return undefined
  if (spec.mode === 'global') return { path: ['autoscale'], message: 'not allowed when mode is "global", expected no autoscale (one replica runs on every eligible node)' }
  if (autoscale.min > autoscale.max) return { path: ['autoscale', 'min'], message: `expected at most autoscale.max (${autoscale.max}), got ${autoscale.min}` }
  if (autoscale.cpu === undefined && autoscale.connections === undefined && autoscale.requestsPerSecond === undefined) {
    return { path: ['autoscale'], message: 'no target, expected at least one of cpu, connections, requestsPerSecond' }
  }
  if (autoscale.cpu !== undefined && spec.resources?.limits?.cpus === undefined && spec.resources?.cpus === undefined) {
    return { path: ['autoscale', 'cpu'], message: 'a percentage of nothing, expected resources.limits.cpus or resources.cpus to measure it against' }
  }
  if (spec.replicas !== undefined && (spec.replicas < autoscale.min || spec.replicas > autoscale.max)) {
    return { path: ['replicas'], message: `expected a starting count between autoscale.min (${autoscale.min}) and autoscale.max (${autoscale.max}), got ${spec.replicas}` }
  }
  return undefined
}

/** The stored form: only the fields given. */
export function normaliseAutoscale (input: AutoscaleInput): AutoscaleSpec {
  const defined = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
  const { scaleUp, scaleDown, ...rest } = input
  return {
    ...defined(rest),
    ...(scaleUp === undefined ? {} : { scaleUp: defined(scaleUp) }),
    ...(scaleDown === undefined ? {} : { scaleDown: defined(scaleDown) })
  }
}

/** The starting count of an autoscaled service whose spec gives none: 1, within min and max. */
export function startingReplicas (autoscale: AutoscaleInput, fallback: number): number {
  return Math.min(autoscale.max, Math.max(autoscale.min, fallback))
}
