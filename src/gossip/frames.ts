// Length-prefixed frames on a libp2p stream: a u32 big-endian payload length, a
// type byte, the payload. Used by the sync and heartbeat protocols.

import { PeerFault } from './fault.ts'
import type { AbortOptions, MessageStream } from '@libp2p/interface'

const HEADER_BYTES = 5

export interface Frame {
  type: number
  payload: Uint8Array
}

/** What a libp2p stream yields when iterated: Uint8Arrays or Uint8ArrayLists. */
type Chunks = AsyncIterable<Uint8Array | { subarray(): Uint8Array }>

/** Encodes one frame. */
export function encodeFrame (type: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(HEADER_BYTES + payload.byteLength)
  new DataView(frame.buffer).setUint32(0, payload.byteLength)
  frame[4] = type
  frame.set(payload, HEADER_BYTES)
  return frame
}

/** Sends one frame, waiting for the stream to drain when its buffer is full. */
export async function writeFrame (stream: MessageStream, type: number, payload: Uint8Array, options?: AbortOptions): Promise<void> {
  if (!stream.send(encodeFrame(type, payload))) await stream.onDrain(options)
}

/** Reads frames off a stream one at a time; a frame longer than maxFrameBytes is the peer's fault. */
export class FrameReader {
  private readonly source: AsyncIterator<Uint8Array | { subarray(): Uint8Array }>
  private readonly maxFrameBytes: number
  private chunks: Uint8Array[] = []
  private buffered = 0

  constructor (source: Chunks, maxFrameBytes: number) {
    this.source = source[Symbol.asyncIterator]()
    this.maxFrameBytes = maxFrameBytes
  }

  /** The next frame, or undefined when the stream ended cleanly between frames. */
  async next (): Promise<Frame | undefined> {
    if (!await this.fill(HEADER_BYTES)) {
      if (this.buffered === 0) return undefined
      throw new Error('the stream ended inside a frame header')
    }
    const header = this.peek(HEADER_BYTES)
    const length = new DataView(header.buffer, header.byteOffset, HEADER_BYTES).getUint32(0)
    if (length > this.maxFrameBytes) throw new PeerFault('oversize', `a frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`)
    if (!await this.fill(HEADER_BYTES + length)) throw new Error('the stream ended inside a frame')
    const frame = this.take(HEADER_BYTES + length)
    return { type: frame[4] as number, payload: frame.subarray(HEADER_BYTES) }
  }

  /** Like next(), but the stream ending is an error too. */
  async expect (): Promise<Frame> {
    const frame = await this.next()
    if (frame === undefined) throw new Error('the stream ended early')
    return frame
  }

  private async fill (bytes: number): Promise<boolean> {
    while (this.buffered < bytes) {
      const { done, value } = await this.source.next()
      if (done === true) return false
      const chunk = value instanceof Uint8Array ? value : value.subarray()
      this.chunks.push(chunk)
      this.buffered += chunk.byteLength
    }
    return true
  }

  private peek (bytes: number): Uint8Array {
    const first = this.chunks[0] as Uint8Array
    if (first.byteLength >= bytes) return first.subarray(0, bytes)
    this.chunks = [Buffer.concat(this.chunks, this.buffered)]
    return (this.chunks[0] as Uint8Array).subarray(0, bytes)
  }

  private take (bytes: number): Uint8Array {
    const all = this.chunks.length === 1 ? this.chunks[0] as Uint8Array : Buffer.concat(this.chunks, this.buffered)
    const rest = all.subarray(bytes)
    this.chunks = rest.byteLength > 0 ? [rest] : []
    this.buffered = rest.byteLength
    return all.subarray(0, bytes)
  }
}
