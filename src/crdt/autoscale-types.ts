// The autoscaler's part of a service: what the user asks for (in the spec) and what the
// service's coordinator last decided (`autoscale[service]`, a record of its own: the
// service record has one writer, the API node that took the request).

import type { Sealed } from './sealed.ts'

/** `spec.autoscale`: replica bounds and targets per replica; `replicas` is where it starts. */
export interface AutoscaleSpec {
  min: number
  max: number
  /** Average CPU per replica, in % of its CPU limit (or of its reservation without one). */
  cpu?: number
  /** Open client connections per replica through the mesh. */
  connections?: number
  /** New client connections per second per replica through the mesh (the TCP mesh sees connections, not requests). */
  requestsPerSecond?: number
  /** A higher count is taken once every recommendation over `window` ("0s" default) asks for it; at most `step` more at once. */
  scaleUp?: { window?: string, step?: number }
  /** A lower count is taken only when it is the highest recommendation over `window` ("5m" default). */
  scaleDown?: { window?: string }
}

/** The cluster-wide figures one decision was made from. */
export interface AutoscaleMetrics {
  /** Replicas running or healthy on members not dead. */
  running: number
  /** Average CPU per running replica, % of its limit or reservation. */
  cpu?: number
  /** Open client connections, all nodes together. */
  connections?: number
  /** New client connections per second, all nodes together. */
  requestsPerSecond?: number
  at: number
}

/** One change of the replica count by the autoscaler. */
export interface AutoscaleDecision {
  at: number
  from: number
  to: number
  reason: string
}

/** A recommendation kept for the scale-down window: at that time, that many replicas. */
export interface AutoscaleRecommendation {
  at: number
  replicas: number
}

/** The autoscaler's status of a service: the count it decided, and from what. */
export interface AutoscaleStatus {
  /** The count the last evaluation arrived at. */
  desired: number
  metrics: AutoscaleMetrics
  lastDecision?: AutoscaleDecision
  /** The last few decisions, oldest first. */
  decisions: AutoscaleDecision[]
  /** The recommendations that can still be the highest of the scale-down window, oldest first. */
  recommendations: AutoscaleRecommendation[]
  updatedAt: number
}

/**
 * `autoscale[service]`: written by the service's coordinator. The count applies to the
 * service created at `serviceCreatedAt` (a service removed and made again starts afresh).
 */
export interface AutoscaleRecord extends AutoscaleStatus, Sealed {
  serviceCreatedAt: number
}
