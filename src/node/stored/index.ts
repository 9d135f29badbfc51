// Secrets and configs as a node handles them: the cluster's secrets key, the encryption
// of each version, and the files a replica gets.

export { openContent, sealContent, secretsKeyOf } from './crypto.ts'
export type { SealedContent } from './crypto.ts'
export { replicaFiles } from './files.ts'
