// The node's own admin token: written to DATA_DIR/api.token (mode 0600, one line) on
// the node's first start, its hash put into the cluster document, so every node
// accepts it. Later starts leave it alone: a token an admin revoked stays revoked.

import { writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { ClusterDocument } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import { generateToken, hashToken } from '../auth/index.ts'

export const API_TOKEN_FILE = 'api.token'

/**
 * The name of a node's first admin token: the node's name and the end of its id, so a
 * machine replaced under the same name (a new id) never overwrites its predecessor's.
 */
export function adminTokenName (nodeName: string, nodeId: string): string {
  return `${nodeName}-admin-${nodeId.slice(-8).toLowerCase()}`
}

/** Creates the node's admin token when its data dir has none yet; returns the file's path. */
export async function ensureAdminToken (dataDir: string, document: ClusterDocument, nodeName: string, nodeId: string, log: Logger): Promise<string> {
  const path = join(dataDir, API_TOKEN_FILE)
  if (existsSync(path)) return path
  const token = generateToken()
  const name = adminTokenName(nodeName, nodeId)
  // Hash first, file second: a crash in between leaves no file, and the next start writes both again.
  document.putToken(name, { hash: hashToken(token), role: 'admin', createdAt: Date.now(), createdBy: `node ${nodeName}` })
  await writeFile(path, `${token}\n`, { mode: 0o600, flag: 'wx' })
  log.info({ path, token: name }, 'admin API token created; clients read it from this file or take it as MESHD_TOKEN')
  return path
}
