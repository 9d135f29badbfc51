// What a node keeps in its data dir besides the cluster document (src/crdt): its
// libp2p key, the cluster secret and its first admin API token; and the dir's own safety: its
// modes and the lock that keeps a second daemon out.

export { loadIdentity } from './identity.ts'
export type { Identity } from './identity.ts'
export { clusterSecret } from './secret.ts'
export { adminTokenName, ensureAdminToken, API_TOKEN_FILE } from './token.ts'
export { secureDataDir } from './permissions.ts'
export { DataDirLockedError, LOCK_SOCKET, dataDirLocked, lockDataDir } from './lock.ts'
export type { DataDirLock } from './lock.ts'
export { ClusterId, CLUSTER_ID_FILE } from './cluster-id.ts'
