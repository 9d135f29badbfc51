// The key that signs hops between nodes' meshes: derived from the cluster secret, so
// every member has it and nobody else does, and distinct from the secret itself.

import { hkdfSync } from 'node:crypto'

/** The mesh hop key of a cluster secret (its pnet swarm.key bytes). */
export function meshKeyOf (secret: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'meshd', 'mesh-hop/1', 32))
}
