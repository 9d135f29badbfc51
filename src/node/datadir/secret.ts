// The cluster secret as a node keeps it: from --secret/--secret-file when joining,
// else the data dir's own (created by the first node of a cluster).

import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadOrCreateSecret, tokenToSecret, writeSecret } from '../../gossip/index.ts'
import { StartupError } from '../errors.ts'

/** The cluster secret for a node: `token` when given (kept in the data dir), else the data dir's. */
export async function clusterSecret (dataDir: string, token: string | undefined): Promise<Uint8Array> {
  if (token === undefined) return await loadOrCreateSecret(dataDir)
  let psk: Uint8Array
  try {
    psk = tokenToSecret(token)
  } catch (err) {
    throw new StartupError(`--secret: ${(err as Error).message}`)
  }
  const existing = await readFile(join(dataDir, 'swarm.key')).catch(() => undefined)
  if (existing !== undefined && !Buffer.from(existing).equals(Buffer.from(psk))) {
    throw new StartupError(`--secret: ${dataDir} already belongs to a cluster with another secret; use a fresh --data-dir to join a different cluster`)
  }
  if (existing === undefined) await writeSecret(dataDir, psk)
  return psk
}
