// A volume archive sealed for keeping: a stored backup and a file from `meshd volume
// backup` alike. `meshd-volume-archive/1\n`, a random salt, then the archive in frames
// (transfer/'s FrameSealer) under a key derived from the store key and that salt. Opening
// checks every frame, the byte count and the SHA-256: a changed, cut or foreign file is an
// error, never a short archive.

import { hkdfSync, randomBytes } from 'node:crypto'
import { PassThrough } from 'node:stream'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { FrameOpener, FrameSealer } from '../transfer/index.ts'

export const ARCHIVE_MAGIC = Buffer.from('meshd-volume-archive/1\n')
const SALT_BYTES = 16

/** The key archives are sealed under: derived from the cluster secret, distinct from every other key. */
export function storeKeyOf (secret: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'meshd', 'backup-store/1', 32))
}

function fileKey (key: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', key, salt, 'backup-file/1', 32))
}

/** Seals a plaintext archive; `sealer.summary` gives its length and SHA-256 once it has ended. */
export function sealArchive (key: Buffer, plain: Readable): { sealed: Readable, sealer: FrameSealer } {
  const salt = randomBytes(SALT_BYTES)
  const sealer = new FrameSealer(fileKey(key, salt))
  const sealed = new PassThrough({ highWaterMark: 1024 * 1024 })
  sealed.write(Buffer.concat([ARCHIVE_MAGIC, salt]))
  pipeline(plain, sealer, sealed).catch((err: Error) => { sealed.destroy(err) })
  return { sealed, sealer }
}

/** Opens a sealed archive as its plaintext, checked as it flows; `label` starts every error. */
export async function openArchive (key: Buffer, sealed: Readable, label: string): Promise<Readable> {
  const need = ARCHIVE_MAGIC.byteLength + SALT_BYTES
  const head = await readHead(sealed, need)
  if (head.byteLength < need) throw new Error(`${label}: cut short before its header ended`)
  if (!head.subarray(0, ARCHIVE_MAGIC.byteLength).equals(ARCHIVE_MAGIC)) throw new Error(`${label}: not a meshd volume archive`)
  const plain = new PassThrough({ highWaterMark: 1024 * 1024 })
  pipeline(sealed, new FrameOpener(fileKey(key, head.subarray(ARCHIVE_MAGIC.byteLength)), label), plain).catch((err: Error) => { plain.destroy(err) })
  return plain
}

/** The first `n` bytes of a stream (fewer when it ends first); the rest stays to be read. */
async function readHead (stream: Readable, n: number): Promise<Buffer> {
  for (;;) {
    const chunk = stream.read(n) as Buffer | null
    // A stream of whole objects may hand over more than asked: the rest goes back.
    if (chunk !== null && chunk.byteLength > n) stream.unshift(chunk.subarray(n))
    if (chunk !== null) return chunk.subarray(0, n)
    if (stream.readableEnded) return Buffer.alloc(0)
    await new Promise<void>((resolve, reject) => {
      const done = (): void => { stream.off('readable', done); stream.off('end', done); stream.off('error', fail); resolve() }
      const fail = (err: Error): void => { stream.off('readable', done); stream.off('end', done); reject(err) }
      stream.once('readable', done)
      stream.once('end', done)
      stream.once('error', fail)
    })
  }
}
