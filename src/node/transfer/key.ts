// The transfer key and the per-request stream keys. The transfer key is derived from the
// cluster secret, so every member has it and no one else does, and is distinct from the
// secret, the secrets key and the mesh key. Each request gets a stream key of its own
// (salt: the ticket's random nonce, which the server refuses to see twice), so a frame
// counter starting at 0 never repeats a GCM nonce under one key.

import { createHmac, hkdfSync } from 'node:crypto'

/** Which way a body travels: `pull` (server → client, GET) or `push` (client → server, PUT). */
export type Direction = 'pull' | 'push'

/** The transfer key of a cluster secret (its pnet swarm.key bytes). */
export function transferKeyOf (secret: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'meshd', 'transfer/1', 32))
}

/** The key of one request's body, from the ticket's nonce and the direction of the body. */
export function streamKeyOf (transferKey: Buffer, nonce: Buffer, direction: Direction): Buffer {
  return Buffer.from(hkdfSync('sha256', transferKey, nonce, `transfer-stream/1|${direction}`, 32))
}

/** The MAC of a push's receipt (what the server received): only the member that opened the body has its stream key. */
export function receiptMac (streamKey: Buffer, received: { bytes: number, sha256: string }): string {
  return createHmac('sha256', streamKey).update(`meshd-transfer-receipt/1\n${received.bytes}\n${received.sha256}`).digest('base64url')
}
