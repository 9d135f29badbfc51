// The autoscaler's rule, as Kubernetes' Horizontal Pod Autoscaler states it: for each
// target, desired = ceil(current × metric / target), nothing when the metric is within
// 10 % of the target; the highest of the targets' counts; a lower count only when it is
// the highest recommendation of the scale-down window (no flapping), a higher one once
// every recommendation of the scale-up window asks for it (default at once), at most
// `step` more at a time; always within min and max. Pure: the caller gives the time,
// the figures and the recommendations it kept.

import type { AutoscaleMetrics, AutoscaleRecommendation, AutoscaleSpec } from '../../crdt/index.ts'
import { parseDuration } from '../spec/index.ts'

/** Within this fraction of the target the count stays as it is (HPA's default tolerance). */
export const AUTOSCALE_TOLERANCE = 0.1
/** Windows when the spec gives none: scale up at once, down after 5 minutes without a higher recommendation (the HPA's). */
export const DEFAULT_SCALE_UP_WINDOW = '0s'
export const DEFAULT_SCALE_DOWN_WINDOW = '5m'
/** Most replicas added at once when the spec gives no step: 4 or the current count, the higher (the HPA's default policy). */
export const DEFAULT_SCALE_UP_STEP = 4

export interface AutoscaleInput {
  spec: AutoscaleSpec
  /** The count the service has now (spec.replicas). */
  current: number
  metrics: AutoscaleMetrics
  /** Earlier recommendations, oldest first. */
  history: readonly AutoscaleRecommendation[]
  now: number
  /** A connection waits for a replica of this service (scale from zero). */
  wanted?: boolean
}

export interface AutoscaleOutcome {
  desired: number
  reason: string
  /** This evaluation's own recommendation, before the windows, the step and the bounds. */
  recommendation: number
  /** The history to keep for the next evaluation (this recommendation last, older ones past every window dropped). */
  history: AutoscaleRecommendation[]
}

/** The replica count for one evaluation, and why. */
export function decideReplicas (input: AutoscaleInput): AutoscaleOutcome {
  const { spec, current, now } = input
  const own = recommend(spec, current, input.metrics)
  if (own.measured === false && input.wanted !== true) {
    // Nothing measured (a new coordinator's first round): no recommendation to remember, only the bounds apply.
    const desired = Math.min(spec.max, Math.max(spec.min, current))
    return { desired, reason: desired === current ? own.reason : `${own.reason}; brought within autoscale.min ${spec.min} and max ${spec.max}`, recommendation: current, history: [...input.history] }
  }
  const waking = input.wanted === true && current === 0
  const recommendation = waking ? Math.max(1, own.replicas) : own.replicas
  const upWindow = parseDuration(spec.scaleUp?.window ?? DEFAULT_SCALE_UP_WINDOW)
  const downWindow = parseDuration(spec.scaleDown?.window ?? DEFAULT_SCALE_DOWN_WINDOW)
  // No history yet (a new service, or no coordinator kept one): the current count counts as
  // recommended just now, so nothing scales down before a whole window (as the HPA does).
  const earlier = input.history.length > 0 ? input.history : [{ at: now - 1, replicas: current }]
  const history = [...earlier.filter((r) => r.at >= now - Math.max(upWindow, downWindow) && r.at < now), { at: now, replicas: recommendation }]
  const within = (window: number) => history.filter((r) => r.at >= now - window).map((r) => r.replicas)
  const sustained = Math.min(...within(upWindow))
  const highest = Math.max(...within(downWindow))
  let desired = current
  let reason = waking ? (own.replicas > 0 ? `a connection waits for a replica; ${own.reason}` : 'a connection waits for a replica') : own.reason
  if (sustained > current) {
    const step = spec.scaleUp?.step ?? Math.max(DEFAULT_SCALE_UP_STEP, current)
    const goal = Math.min(sustained, spec.max)
    desired = Math.min(goal, current + step)
    if (upWindow > 0) reason += `, sustained over the ${spec.scaleUp?.window} scale-up window`
    if (goal < sustained) reason += `; capped at autoscale.max ${spec.max}`
    if (desired < goal) reason += `, at most ${step} more at once`
  } else if (highest < current) {
    desired = highest
    reason += highest === recommendation ? `, for the whole ${formatWindow(spec)} scale-down window` : `; the highest recommendation over the ${formatWindow(spec)} scale-down window is ${highest}`
  } else if (recommendation > current) {
    reason += `; waiting for the ${spec.scaleUp?.window} scale-up window`
  } else if (recommendation < current) {
    reason += `; holding ${current}, recommended within the ${formatWindow(spec)} scale-down window`
  }
  if (desired < spec.min) { desired = spec.min; reason += `; raised to autoscale.min ${spec.min}` }
  if (desired > spec.max) { desired = spec.max; reason += `; capped at autoscale.max ${spec.max}` }
  return { desired, reason, recommendation, history }
}

/** Each target's count from the figures, the highest of them, and the words for it. */
export function recommend (spec: AutoscaleSpec, current: number, metrics: AutoscaleMetrics): { replicas: number, reason: string, measured?: false } {
  const counts: Array<{ replicas: number, reason: string }> = []
  if (spec.requestsPerSecond !== undefined && metrics.requestsPerSecond !== undefined) {
    counts.push(byTotal('requestsPerSecond', metrics.requestsPerSecond, spec.requestsPerSecond, current))
  }
  if (spec.connections !== undefined && metrics.connections !== undefined) {
    counts.push(byTotal('connections', metrics.connections, spec.connections, current))
  }
  if (spec.cpu !== undefined && metrics.cpu !== undefined && metrics.running > 0) {
    counts.push(byTotal('cpu', metrics.cpu * metrics.running, spec.cpu, current, `cpu ${round(metrics.cpu)}% per replica over ${metrics.running}`))
  }
  if (counts.length === 0) return { replicas: current, reason: 'no figures yet', measured: false }
  return counts.reduce((a, b) => (b.replicas > a.replicas ? b : a))
}

// A total over the cluster: the HPA's ceil(current × average / target) is ceil(total / target).
function byTotal (name: string, total: number, target: number, current: number, shown = `${name} ${round(total)}`): { replicas: number, reason: string } {
  const unit = name === 'cpu' ? '%' : ''
  const per = `(target ${target}${unit} per replica)`
  if (current > 0 && Math.abs(total / (current * target) - 1) <= AUTOSCALE_TOLERANCE) {
    return { replicas: current, reason: `${shown} ${per}: within ${AUTOSCALE_TOLERANCE * 100}% of the target for ${current}` }
  }
  const replicas = Math.ceil(total / target)
  return { replicas, reason: `${shown} ${per} → ${replicas}` }
}

/**
 * The recommendations worth keeping in the document: those that can still be the highest
 * of the scale-down window (none later is as high), so a new coordinator keeps the window.
 */
export function keptRecommendations (history: readonly AutoscaleRecommendation[], max = 64): AutoscaleRecommendation[] {
  const kept: AutoscaleRecommendation[] = []
  for (const r of history) {
    while (kept.length > 0 && (kept[kept.length - 1] as AutoscaleRecommendation).replicas <= r.replicas) kept.pop()
    kept.push(r)
  }
  return kept.slice(-max)
}

function formatWindow (spec: AutoscaleSpec): string {
  return spec.scaleDown?.window ?? DEFAULT_SCALE_DOWN_WINDOW
}

function round (value: number): number {
  return Math.round(value * 10) / 10
}
