// Two cluster documents in one process, linked by hand as gossip would link them.

import type { ClusterDocument } from '../../src/crdt/index.ts'

/** Replicates every later update both ways (and what each has now), until the returned cut is called. */
export function link (a: ClusterDocument, b: ClusterDocument): () => void {
  const origin = Symbol('link')
  let on = true
  const forward = (to: ClusterDocument) => (update: Uint8Array, from: unknown): void => { if (on && from !== origin) to.applyUpdate(update, origin) }
  a.on('update', forward(b))
  b.on('update', forward(a))
  b.applyUpdate(a.encodeState(), origin)
  a.applyUpdate(b.encodeState(), origin)
  return () => { on = false }
}
