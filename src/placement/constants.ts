// Defaults of placement.

/** No node takes more than ⌈LOAD_FACTOR × its fair share⌉ slots (HAProxy's hash-balance-factor 125). */
export const DEFAULT_LOAD_FACTOR = 1.25

/** Seeds the hash that numbers a node's global slots, apart from the ranking hash. */
export const GLOBAL_SLOT_SEED = 0x9e3779b9

/** Shares are sums of floats: ⌈125.00000000000001⌉ must still be 125. */
export const SHARE_EPSILON = 1e-9

/**
 * A service with more replicas than eligible nodes puts at most ⌈SPREAD_FACTOR × a
 * node's share⌉ of them on one node (with no more replicas than nodes: one per node).
 */
export const SPREAD_FACTOR = 1
