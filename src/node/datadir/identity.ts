// The node's identity: a libp2p Ed25519 key kept in the data dir, so a node keeps its
// id across restarts and the gossip host uses the same key (its peer id is the member id).

import { mkdir, readFile, writeFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'

export interface Identity { id: string, privateKey: PrivateKey }

const KEY_FILE = 'node.key'

/** Loads the node key from dataDir, creating it on first start. */
export async function loadIdentity (dataDir: string): Promise<Identity> {
  await mkdir(dataDir, { recursive: true })
  const path = join(dataDir, KEY_FILE)
  let privateKey: PrivateKey
  try {
    privateKey = privateKeyFromProtobuf(await readFile(path))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the node key ${path}: ${(err as Error).message}`)
    privateKey = await generateKeyPair('Ed25519')
    await writeFile(`${path}.tmp`, privateKeyToProtobuf(privateKey), { mode: 0o600 })
    await rename(`${path}.tmp`, path)
  }
  return { id: peerIdFromPrivateKey(privateKey).toString(), privateKey }
}
