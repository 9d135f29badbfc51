// The framing of a transfer body: round trips, and every way a stream can be damaged —
// each must end in a TransferError that names the transfer, never in wrong bytes.

import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { pipeline } from 'node:stream/promises'
import { describe, expect, it } from 'vitest'
import { FrameOpener, FrameSealer } from '../../../src/node/transfer/frames.ts'
import { TransferError } from '../../../src/node/transfer/index.ts'

const MiB = 1024 * 1024
const key = randomBytes(32)
const LABEL = 'transfer of volume/db/0/data from node-2'

async function seal (plain: Buffer, chunk = 64 * 1024, sealKey = key): Promise<Buffer> {
  const sealer = new FrameSealer(sealKey)
  const parts: Buffer[] = []
  for (let at = 0; at < plain.byteLength; at += chunk) parts.push(plain.subarray(at, at + chunk))
  const [out] = await Promise.all([buffer(sealer), pipeline(Readable.from(parts), sealer)])
  return out
}

async function open (sealed: Buffer | Buffer[], openKey = key): Promise<Buffer> {
  const opener = new FrameOpener(openKey, LABEL)
  const chunks = Array.isArray(sealed) ? sealed : [sealed]
  const [out] = await Promise.all([buffer(opener), pipeline(Readable.from(chunks), opener)])
  return out
}

/** A sealed body cut into its frames. */
function framesOf (sealed: Buffer): Buffer[] {
  const frames: Buffer[] = []
  for (let at = 0; at < sealed.byteLength;) {
    const length = (sealed.readUInt32BE(at) & 0x7fff_ffff) + 4
    frames.push(sealed.subarray(at, at + length))
    at += length
  }
  return frames
}

/** A last frame sealed properly but claiming `bytes` and `sha256`, as a buggy sender would. */
function lastFrame (counter: number, bytes: number, sha256: Buffer): Buffer {
  const nonce = Buffer.alloc(12)
  nonce.writeBigUInt64BE(BigInt(counter), 4)
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 })
  cipher.setAAD(Buffer.from([1]))
  const trailer = Buffer.alloc(40)
  trailer.writeBigUInt64BE(BigInt(bytes))
  sha256.copy(trailer, 8)
  const body = Buffer.concat([cipher.update(trailer), cipher.final(), cipher.getAuthTag()])
  const header = Buffer.alloc(4)
  header.writeUInt32BE((body.byteLength | 0x8000_0000) >>> 0)
  return Buffer.concat([header, body])
}

async function failure (sealed: Buffer | Buffer[], openKey = key): Promise<TransferError> {
  const err = await open(sealed, openKey).then(() => undefined, (e: unknown) => e)
  expect(err).toBeInstanceOf(TransferError)
  expect((err as TransferError).message.startsWith(`${LABEL}: `)).toBe(true)
  return err as TransferError
}

describe('transfer frames', () => {
  it.each([0, 1, 5 * MiB, 5 * MiB + 3])('round-trips %i bytes', async (size) => {
    const plain = randomBytes(size)
    const sealed = await seal(plain)
    expect((await open(sealed)).equals(plain)).toBe(true)
    // One frame per MiB, a last frame, 20 bytes of framing each.
    const frames = Math.ceil(size / MiB) + 1
    expect(framesOf(sealed)).toHaveLength(frames)
    expect(sealed.byteLength).toBe(size + frames * 20 + 40)
  })

  it('opens a body however the network cuts it', async () => {
    const plain = randomBytes(3 * MiB + 17)
    const sealed = await seal(plain, 5 * MiB)
    const bytes: Buffer[] = []
    for (let at = 0, step = 1; at < sealed.byteLength; at += step, step = (step * 7 + 3) % 70_001) bytes.push(sealed.subarray(at, at + step))
    expect((await open(bytes)).equals(plain)).toBe(true)
  })

  it('reports the length and checksum both sides saw', async () => {
    const plain = randomBytes(2 * MiB + 5)
    const sealer = new FrameSealer(key)
    const opener = new FrameOpener(key, LABEL)
    await Promise.all([buffer(opener), pipeline(Readable.from([plain]), sealer, opener)])
    const sha256 = createHash('sha256').update(plain).digest('hex')
    expect(sealer.summary).toEqual({ bytes: plain.byteLength, sha256 })
    expect(opener.summary).toEqual({ bytes: plain.byteLength, sha256 })
  })

  it('refuses a tampered frame', async () => {
    const frames = framesOf(await seal(randomBytes(3 * MiB)))
    const bad = Buffer.from(frames[1] ?? Buffer.alloc(0))
    bad[1000] = (bad[1000] ?? 0) ^ 1
    const err = await failure([frames[0] ?? Buffer.alloc(0), bad, ...frames.slice(2)])
    expect(err.code).toBe('TRANSFER_CORRUPT')
    expect(err.message).toMatch(/frame 1 does not authenticate/)
  })

  it('refuses a dropped frame, reordered frames and a repeated frame', async () => {
    const frames = framesOf(await seal(randomBytes(3 * MiB)))
    const [a, b, c, last] = frames as [Buffer, Buffer, Buffer, Buffer]
    expect((await failure([a, c, last])).message).toMatch(/frame 1 does not authenticate/)
    expect((await failure([b, a, c, last])).message).toMatch(/frame 0 does not authenticate/)
    expect((await failure([a, a, b, c, last])).message).toMatch(/frame 1 does not authenticate/)
  })

  it('refuses a truncated stream: without its last frame, or cut inside a frame', async () => {
    const sealed = await seal(randomBytes(2 * MiB))
    const frames = framesOf(sealed)
    expect((await failure(frames.slice(0, -1))).message).toMatch(/truncated: the stream ended before its last frame \(after 2097152 bytes\)/)
    expect((await failure(sealed.subarray(0, MiB + 100))).message).toMatch(/truncated/)
    expect((await failure(Buffer.alloc(0))).message).toMatch(/truncated/)
  })

  it('refuses another key', async () => {
    const err = await failure(await seal(randomBytes(100)), randomBytes(32))
    expect(err.message).toMatch(/frame 0 does not authenticate/)
  })

  it('refuses a data frame passed off as the last one, and an impossible length', async () => {
    const [first, ...rest] = framesOf(await seal(randomBytes(40)))
    const flipped = Buffer.from(first ?? Buffer.alloc(0))
    flipped[0] = (flipped[0] ?? 0) | 0x80
    expect((await failure([flipped, ...rest])).code).toBe('TRANSFER_CORRUPT')
    const huge = Buffer.alloc(4)
    huge.writeUInt32BE(64 * MiB)
    expect((await failure(huge)).message).toMatch(/frame 0 has an impossible length/)
  })

  it('refuses bytes after the last frame', async () => {
    const sealed = await seal(randomBytes(10))
    expect((await failure(Buffer.concat([sealed, Buffer.from([0])]))).message).toMatch(/data after the last frame/)
  })

  it('checks the last frame\'s count and checksum', async () => {
    const plain = randomBytes(1000)
    const [data] = framesOf(await seal(plain))
    const sha = createHash('sha256').update(plain).digest()
    expect((await failure([data ?? Buffer.alloc(0), lastFrame(1, 999, sha)])).message).toMatch(/length mismatch: received 1000 bytes, the sender counted 999/)
    expect((await failure([data ?? Buffer.alloc(0), lastFrame(1, 1000, randomBytes(32))])).message).toBe(`${LABEL}: checksum mismatch`)
  })
})
