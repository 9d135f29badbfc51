// libp2p pnet with a key confirmation. Plain pnet cannot tell a wrong key from a
// broken peer: both sides just see the noise handshake fail on garbage ("read
// ECONNRESET"). Right after pnet's nonce exchange each side sends a fixed proof
// through the encrypted channel and checks the one it receives, so a wrong cluster
// secret is reported as exactly that, on both sides, before any libp2p byte flows.
// With the proof goes the cluster id: a peer from another cluster is refused even
// when it holds the same secret (an old data dir must never bring a deleted cluster's
// records into a rebuilt one); a node that has joined no cluster yet adopts its peer's.

import { preSharedKey } from '@libp2p/pnet'
import { MISMATCH_WARN_INTERVAL_MS, SECRET_CHECK_TIMEOUT_MS } from './constants.ts'
import type { Logger } from '../logger.ts'
import type { ClusterIdentity } from './types.ts'
import type { AbortOptions, ConnectionProtector, MessageStream, StreamMessageEvent } from '@libp2p/interface'

// Not secret: XSalsa20 under a fresh nonce pair hides it, and it proves only that
// both sides derived the same keystream, i.e. hold the same key.
const PROOF = new TextEncoder().encode('meshd/psk-ok/2\n\n')
/** The cluster id travels as 16 raw bytes after the proof; all zeros: none yet. */
const CLUSTER_ID_BYTES = 16

/** The remote peer encrypts with a different pre-shared key. */
export class ClusterSecretMismatchError extends Error {
  override readonly name = 'ClusterSecretMismatchError'
}

/** The remote peer holds the secret but belongs to another cluster. */
export class ClusterIdMismatchError extends Error {
  override readonly name = 'ClusterIdMismatchError'
}

export interface ClusterProtectorInit {
  /** The cluster secret in pnet `swarm.key` format. */
  psk: Uint8Array
  log: Logger
  cluster?: ClusterIdentity
}

/** A connectionProtector for createLibp2p: pnet plus the key confirmation. */
export function clusterProtector (init: ClusterProtectorInit): () => ConnectionProtector {
  // A misconfigured peer redials forever: warn once per host and period, not per attempt.
  const warnedAt = new Map<string, number>()
  const shouldWarn = (peer: string): boolean => {
    const host = peer.replace(/\/(tcp|udp)\/.*$/, '')
    const now = Date.now()
    if (now - (warnedAt.get(host) ?? -Infinity) < MISMATCH_WARN_INTERVAL_MS) return false
    if (warnedAt.size > 1000) warnedAt.clear()
    warnedAt.set(host, now)
    return true
  }
  return () => {
    const pnet = preSharedKey({ psk: init.psk, timeout: SECRET_CHECK_TIMEOUT_MS })()
    return {
      async protect (connection: MessageStream, options?: AbortOptions): Promise<MessageStream> {
        const boxed = await pnet.protect(connection, options)
        try {
          await confirmSecret(boxed, options?.signal, init.cluster)
        } catch (err) {
          const peer = remoteAddress(connection)
          if (err instanceof ClusterIdMismatchError) {
            init.log[shouldWarn(peer) ? 'warn' : 'debug']({ peer, direction: connection.direction }, `connection ${connection.direction === 'inbound' ? 'from' : 'to'} ${peer} refused: ${err.message}`)
          } else if (err instanceof ClusterSecretMismatchError) {
            init.log[shouldWarn(peer) ? 'warn' : 'debug']({ peer, direction: connection.direction }, `connection ${connection.direction === 'inbound' ? 'from' : 'to'} ${peer} refused: the peer's cluster secret differs (wrong cluster secret?)`)
          } else {
            init.log.debug({ peer, err }, 'cluster secret confirmation failed')
          }
          boxed.abort(err as Error)
          throw err
        }
        return boxed
      }
    }
  }
}

async function confirmSecret (stream: MessageStream, signal: AbortSignal | undefined, cluster: ClusterIdentity | undefined): Promise<void> {
  const timeout = AbortSignal.timeout(SECRET_CHECK_TIMEOUT_MS)
  const received = readExactly(stream, PROOF.byteLength + CLUSTER_ID_BYTES, signal === undefined ? timeout : AbortSignal.any([signal, timeout]))
  const mine = cluster?.id()
  stream.send(Buffer.concat([PROOF, mine === undefined ? Buffer.alloc(CLUSTER_ID_BYTES) : Buffer.from(mine, 'hex')]))
  const answer = Buffer.from(await received)
  if (!answer.subarray(0, PROOF.byteLength).equals(PROOF)) {
    throw new ClusterSecretMismatchError('the remote peer uses a different cluster secret')
  }
  const theirs = answer.subarray(PROOF.byteLength)
  if (theirs.every((byte) => byte === 0)) return
  const id = theirs.toString('hex')
  if (mine === undefined) cluster?.adopt(id)
  else if (mine !== id) {
    throw new ClusterIdMismatchError(`the peer belongs to cluster ${id}, this node to cluster ${mine} (a data dir from another cluster: give that node a fresh --data-dir to join this one)`)
  }
}

// Reads exactly n bytes and pushes anything after them back for the next reader
// (the multistream-select that follows may arrive in the same chunk).
function readExactly (stream: MessageStream, n: number, signal: AbortSignal): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let have = 0
    const cleanup = (): void => {
      stream.removeEventListener('message', onMessage)
      stream.removeEventListener('close', onClose)
      signal.removeEventListener('abort', onAbort)
    }
    const onMessage = (evt: StreamMessageEvent): void => {
      const bytes = evt.data.subarray()
      chunks.push(bytes)
      have += bytes.byteLength
      if (have < n) return
      cleanup()
      const all = Buffer.concat(chunks, have)
      if (have > n) stream.unshift(all.subarray(n))
      resolve(all.subarray(0, n))
    }
    const onClose = (): void => {
      cleanup()
      reject(new Error('the connection closed during the cluster secret check'))
    }
    const onAbort = (): void => {
      cleanup()
      reject(new Error('the cluster secret check timed out'))
    }
    if (signal.aborted) { onAbort(); return }
    stream.addEventListener('message', onMessage)
    stream.addEventListener('close', onClose)
    signal.addEventListener('abort', onAbort)
  })
}

function remoteAddress (connection: MessageStream): string {
  return String((connection as { remoteAddr?: unknown }).remoteAddr ?? 'unknown address')
}
