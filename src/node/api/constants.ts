/** Largest request body the API reads (a service spec is a few kilobytes). */
export const BODY_LIMIT = 1024 * 1024

/** An oversize body up to this size is read and discarded so the client gets its 413 instead of a reset. */
export const DRAIN_LIMIT = 64 * 1024 * 1024

/** Published ports below this are system ports (22, 80, 443…): refused unless the node runs with --allow-low-ports. */
export const LOW_PORTS = 1024

/** How long a deploy waits for this node's engine to name the image's id before writing without one. */
export const RESOLVE_IMAGE_TIMEOUT_MS = 2_000

/** A stack's body carries its secrets and configs (each ≤ 512 KiB, in base64): larger than a service's. */
export const STACK_BODY_LIMIT = 16 * 1024 * 1024

/** Services in one stack, and secrets or configs (each) it brings. */
export const MAX_STACK_SERVICES = 100
export const MAX_STACK_FILES = 100
