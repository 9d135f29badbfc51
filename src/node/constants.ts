// Defaults of a node as people run it.

/** The HTTP API's port. */
export const DEFAULT_API_PORT = 7700

/** The peer-to-peer (libp2p) port. */
export const DEFAULT_P2P_PORT = 7701

/** Where other nodes' meshes reach this node's replicas. */
export const DEFAULT_MESH_PORT = 7702

/** The ingress's HTTP and HTTPS ports (0 turns one off). */
export const DEFAULT_HTTP_PORT = 80
export const DEFAULT_HTTPS_PORT = 443
