// A transfer body, sealed in frames: `u32 header | AES-256-GCM ciphertext | tag`. The
// header's low 31 bits are the length of ciphertext and tag, its top bit marks the last
// frame; that flag is the frame's additional data, and the frame's GCM nonce is its
// counter, so a flipped flag, a dropped, repeated or reordered frame, a tampered byte or
// another key all fail the tag. Data frames carry at most FRAME_BYTES of plaintext and are
// never empty; the last frame carries the plaintext's length (u64) and SHA-256. The
// opener emits a frame only once its tag verified, checks the last frame's count and
// checksum, and errors when the stream ends without it (truncation). Both sides are
// Transforms: backpressure passes through, at most one frame is held.

import { createCipheriv, createDecipheriv, createHash } from 'node:crypto'
import type { CipherGCM, DecipherGCM, Hash } from 'node:crypto'
import { Transform } from 'node:stream'
import type { TransformCallback } from 'node:stream'
import { FRAME_BYTES, PARTIAL_FRAME_MS, TAG_BYTES } from './constants.ts'
import { TransferError } from './errors.ts'
import { transferred } from './young-gc.ts'

const LAST = 0x8000_0000
const TRAILER_BYTES = 8 + 32
const DATA_AD = Buffer.from([0])
const LAST_AD = Buffer.from([1])

/** The GCM nonce of frame `counter`: 4 zero bytes and the counter (u64). */
function nonceOf (counter: number): Buffer {
  const nonce = Buffer.alloc(12)
  nonce.writeBigUInt64BE(BigInt(counter), 4)
  return nonce
}

/** Seals plaintext into frames under `streamKey` (32 bytes, used for this one stream only). */
export class FrameSealer extends Transform {
  private readonly key: Buffer
  private readonly hash: Hash = createHash('sha256')
  private counter = 0
  private cipher: CipherGCM | undefined
  private pieces: Buffer[] = []
  private filled = 0
  private total = 0
  private done: { bytes: number, sha256: string } | undefined
  private timer: NodeJS.Timeout | undefined

  private set idle (timer: NodeJS.Timeout | undefined) {
    clearTimeout(this.timer)
    this.timer = timer
  }

  private get idle (): NodeJS.Timeout | undefined { return this.timer }

  constructor (streamKey: Buffer) {
    super()
    this.key = streamKey
  }

  /** The plaintext's length and SHA-256 (hex), once the stream has ended. */
  get summary (): { bytes: number, sha256: string } | undefined { return this.done }

  override _transform (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk)
    this.total += chunk.byteLength
    transferred(chunk.byteLength)
    for (let offset = 0; offset < chunk.byteLength;) {
      const part = chunk.subarray(offset, offset + FRAME_BYTES - this.filled)
      this.cipher ??= this.begin(DATA_AD)
      this.pieces.push(this.cipher.update(part))
      this.filled += part.byteLength
      offset += part.byteLength
      if (this.filled === FRAME_BYTES) this.seal(0)
    }
    // A slow source still moves: a partial frame goes out after a while (the peer cuts a silent connection).
    if (this.filled > 0) this.idle ??= setTimeout(() => { this.idle = undefined; this.seal(0) }, PARTIAL_FRAME_MS)
    callback()
  }

  override _destroy (err: Error | null, callback: (error?: Error | null) => void): void {
    this.idle = undefined
    callback(err)
  }

  override _flush (callback: TransformCallback): void {
    this.idle = undefined
    if (this.filled > 0) this.seal(0)
    const sha256 = this.hash.digest()
    const trailer = Buffer.alloc(TRAILER_BYTES)
    trailer.writeBigUInt64BE(BigInt(this.total))
    sha256.copy(trailer, 8)
    this.cipher = this.begin(LAST_AD)
    this.pieces.push(this.cipher.update(trailer))
    this.filled = TRAILER_BYTES
    this.seal(LAST)
    this.done = { bytes: this.total, sha256: sha256.toString('hex') }
    callback()
  }

  private begin (ad: Buffer): CipherGCM {
    const cipher = createCipheriv('aes-256-gcm', this.key, nonceOf(this.counter++), { authTagLength: TAG_BYTES })
    cipher.setAAD(ad)
    return cipher
  }

  private seal (flag: number): void {
    const cipher = this.cipher
    if (cipher === undefined) return
    this.idle = undefined
    const tail = cipher.final()
    const header = Buffer.allocUnsafe(4)
    header.writeUInt32BE((this.filled + TAG_BYTES + flag) >>> 0)
    // The pieces as they are, not concatenated: a copy of every byte is garbage the
    // collector pays for (a full collection per ~64 MB of buffers).
    this.push(header)
    for (const piece of this.pieces) if (piece.byteLength > 0) this.push(piece)
    this.push(tail.byteLength === 0 ? cipher.getAuthTag() : Buffer.concat([tail, cipher.getAuthTag()]))
    this.cipher = undefined
    this.pieces = []
    this.filled = 0
  }
}

/** Opens frames sealed under `streamKey`; its errors are TransferErrors that start with `label` ("transfer of X from Y"). */
export class FrameOpener extends Transform {
  private readonly key: Buffer
  private readonly label: string
  private readonly hash: Hash = createHash('sha256')
  private counter = 0
  private total = 0
  private header = Buffer.alloc(0)
  private frame: { last: boolean, decipher: DecipherGCM, cipherLeft: number, tag: Buffer[], tagLeft: number, plain: Buffer[] } | undefined
  private received: { bytes: number, sha256: string } | undefined

  constructor (streamKey: Buffer, label: string) {
    super()
    this.key = streamKey
    this.label = label
  }

  /** The plaintext's length and SHA-256 (hex), once the last frame came and both matched. */
  get summary (): { bytes: number, sha256: string } | undefined { return this.received }

  override _transform (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    transferred(chunk.byteLength)
    try {
      for (let offset = 0; offset < chunk.byteLength;) offset = this.consume(chunk, offset)
      callback()
    } catch (err) {
      callback(err as Error)
    }
  }

  override _flush (callback: TransformCallback): void {
    if (this.received !== undefined) callback()
    else callback(this.corrupt(`truncated: the stream ended before its last frame (after ${this.total} bytes)`))
  }

  // Errors from elsewhere (the connection broke, pipeline's premature close) say which transfer they cut, and where.
  override _destroy (err: Error | null, callback: (error?: Error | null) => void): void {
    if (err === null || err instanceof TransferError) {
      callback(err)
      return
    }
    const where = this.received === undefined ? `truncated: the connection broke before the last frame (after ${this.total} bytes): ` : ''
    callback(new TransferError('TRANSFER_FAILED', `${this.label}: ${where}${err.message}`, { cause: err }))
  }

  /** Takes what it can of `chunk` from `offset`; returns the new offset. */
  private consume (chunk: Buffer, offset: number): number {
    if (this.received !== undefined) throw this.corrupt('data after the last frame')
    if (this.frame === undefined) {
      const need = 4 - this.header.byteLength
      this.header = Buffer.concat([this.header, chunk.subarray(offset, offset + need)])
      if (this.header.byteLength === 4) this.frame = this.begin(this.header.readUInt32BE(0))
      return offset + Math.min(need, chunk.byteLength - offset)
    }
    const frame = this.frame
    if (frame.cipherLeft > 0) {
      const part = chunk.subarray(offset, offset + frame.cipherLeft)
      frame.plain.push(frame.decipher.update(part))
      frame.cipherLeft -= part.byteLength
      return offset + part.byteLength
    }
    const part = chunk.subarray(offset, offset + frame.tagLeft)
    frame.tag.push(part)
    frame.tagLeft -= part.byteLength
    if (frame.tagLeft === 0) this.finish(frame)
    return offset + part.byteLength
  }

  private begin (header: number): NonNullable<FrameOpener['frame']> {
    const last = (header & LAST) !== 0
    const length = header & ~LAST
    if (last ? length !== TRAILER_BYTES + TAG_BYTES : length <= TAG_BYTES || length > FRAME_BYTES + TAG_BYTES) {
      throw this.corrupt(`frame ${this.counter} has an impossible length (${length} bytes${last ? ', last' : ''})`)
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, nonceOf(this.counter), { authTagLength: TAG_BYTES })
    decipher.setAAD(last ? LAST_AD : DATA_AD)
    return { last, decipher, cipherLeft: length - TAG_BYTES, tag: [], tagLeft: TAG_BYTES, plain: [] }
  }

  private finish (frame: NonNullable<FrameOpener['frame']>): void {
    frame.decipher.setAuthTag(Buffer.concat(frame.tag))
    try {
      frame.plain.push(frame.decipher.final())
    } catch {
      throw this.corrupt(`frame ${this.counter} does not authenticate (tampered, dropped or reordered frames, or another key)`)
    }
    this.frame = undefined
    this.header = Buffer.alloc(0)
    this.counter++
    if (frame.last) {
      this.check(Buffer.concat(frame.plain))
      return
    }
    for (const plain of frame.plain) {
      if (plain.byteLength === 0) continue
      this.hash.update(plain)
      this.total += plain.byteLength
      this.push(plain)
    }
  }

  private check (trailer: Buffer): void {
    const bytes = Number(trailer.readBigUInt64BE(0))
    if (bytes !== this.total) throw this.corrupt(`length mismatch: received ${this.total} bytes, the sender counted ${bytes}`)
    const sha256 = this.hash.digest()
    if (!sha256.equals(trailer.subarray(8))) throw this.corrupt('checksum mismatch')
    this.received = { bytes, sha256: sha256.toString('hex') }
  }

  private corrupt (why: string, cause?: unknown): TransferError {
    return new TransferError('TRANSFER_CORRUPT', `${this.label}: ${why}`, cause === undefined ? {} : { cause })
  }
}
