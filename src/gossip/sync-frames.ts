// The frames of one sync exchange (see sync.ts): a state vector, then a diff as
// chunks of at most SYNC_CHUNK_BYTES and an end marker. What breaks the framing, or
// a diff over MAX_UPDATE_BYTES, is the sending peer's fault.

import { writeFrame } from './frames.ts'
import { PeerFault } from './fault.ts'
import { MAX_UPDATE_BYTES, SYNC_CHUNK_BYTES } from './constants.ts'
import type { FrameReader } from './frames.ts'
import type { MessageStream } from '@libp2p/interface'

export const FRAME = { vector: 1, diff: 2, diffEnd: 3 } as const

/** Sends a diff in chunks and the end marker. */
export async function sendDiff (stream: MessageStream, diff: Uint8Array, signal: AbortSignal): Promise<void> {
  for (let offset = 0; offset < diff.byteLength; offset += SYNC_CHUNK_BYTES) {
    await writeFrame(stream, FRAME.diff, diff.subarray(offset, offset + SYNC_CHUNK_BYTES), { signal })
  }
  await writeFrame(stream, FRAME.diffEnd, new Uint8Array(0), { signal })
}

/** Reassembles a diff; throws a PeerFault past MAX_UPDATE_BYTES or on a frame out of place. */
export async function receiveDiff (frames: FrameReader): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const frame = await frames.expect()
    if (frame.type === FRAME.diffEnd) break
    if (frame.type !== FRAME.diff) throw new PeerFault('malformed', `unexpected sync frame type ${frame.type}`)
    total += frame.payload.byteLength
    if (total > MAX_UPDATE_BYTES) throw new PeerFault('oversize', `a sync diff over ${MAX_UPDATE_BYTES} bytes`)
    chunks.push(frame.payload)
  }
  return chunks.length === 1 ? chunks[0] as Uint8Array : Buffer.concat(chunks, total)
}

/** The next frame's payload, which must be of `type`. */
export async function expectFrame (frames: FrameReader, type: number): Promise<Uint8Array> {
  const frame = await frames.expect()
  if (frame.type !== type) throw new PeerFault('malformed', `unexpected sync frame type ${frame.type}, wanted ${type}`)
  return frame.payload
}
