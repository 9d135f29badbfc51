// The top-level maps of the cluster document and the change event that names them.

/** The top-level maps of the document, one per kind of record; replicas live apart (replica-arrays.ts). */
export const MAPS = ['services', 'nodes', 'rollouts', 'drains', 'tokens', 'removals', 'secrets', 'configs', 'alerts', 'alertStates', 'autoscale', 'certs', 'acme'] as const
export type MapName = typeof MAPS[number]

/**
 * One transaction's effect: which maps it touched, and whether this node made it.
 * A flag may be set for a map whose visible content did not change (a concurrent
 * write that lost): treat it as "look again", not as "differs".
 */
export type DocumentChange = {
  origin: unknown
  /** True for writes made on this node, false for updates from peers (applyUpdate). */
  local: boolean
} & Record<MapName | 'replicas', boolean>
