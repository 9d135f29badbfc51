// Writing a member's departure: its removal record, and its node and replica records
// and its first admin token deleted in the same transaction (every node ignores its
// records once the removal arrives; deleting them keeps the document small, and the
// token of a machine that is gone should not open the API).

import type { ClusterDocument, RemovalRecord } from '../../crdt/index.ts'
import { adminTokenName } from '../datadir/index.ts'

/** Records `id` as removed and deletes what it had filed. */
export function removeMember (document: ClusterDocument, id: string, removal: RemovalRecord): void {
  document.transact(() => {
    document.putRemoval(id, removal)
    for (const key of Object.keys(document.replicasOf(id))) document.deleteReplica(id, key)
    document.deleteNode(id)
    document.deleteToken(adminTokenName(removal.name, id))
  })
}
