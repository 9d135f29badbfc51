// The wire format of a heartbeat digest: version u8, count u16, then per member an
// id (u8 length + UTF-8), incarnation f64, seq u32, age u32 (ms), clock f64 (the
// member's, ms) and its 64-byte signature, big-endian. About 140 bytes a member: a
// 100-node digest is 14 KB.

import { SIGNATURE_BYTES } from './beat-signature.ts'
import type { Beat } from './detector.ts'

const VERSION = 2
const MAX_ENTRIES = 0xffff
const U32_MAX = 0xffffffff
const FIXED_BYTES = 8 + 4 + 4 + 8 + SIGNATURE_BYTES

/** Encodes a digest; entries beyond 65535 are left out. */
export function encodeDigest (beats: readonly Beat[]): Uint8Array {
  const entries = beats.slice(0, MAX_ENTRIES).map(beat => {
    const id = Buffer.from(beat.id, 'utf8')
    if (id.byteLength === 0 || id.byteLength > 255) throw new Error(`a member id must be 1-255 bytes: ${beat.id.slice(0, 40)}`)
    if (beat.signature.byteLength !== SIGNATURE_BYTES) throw new Error(`a beat signature is ${SIGNATURE_BYTES} bytes`)
    return { beat, id }
  })
  const size = 3 + entries.reduce((sum, { id }) => sum + 1 + id.byteLength + FIXED_BYTES, 0)
  const bytes = new Uint8Array(size)
  const view = new DataView(bytes.buffer)
  view.setUint8(0, VERSION)
  view.setUint16(1, entries.length)
  let offset = 3
  for (const { beat, id } of entries) {
    view.setUint8(offset, id.byteLength)
    bytes.set(id, offset + 1)
    offset += 1 + id.byteLength
    view.setFloat64(offset, beat.incarnation)
    view.setUint32(offset + 8, clampU32(beat.seq))
    view.setUint32(offset + 12, clampU32(beat.age))
    view.setFloat64(offset + 16, beat.clock)
    bytes.set(beat.signature, offset + 24)
    offset += FIXED_BYTES
  }
  return bytes
}

/** Decodes a digest; throws on anything malformed. */
export function decodeDigest (bytes: Uint8Array): Beat[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.byteLength < 3 || view.getUint8(0) !== VERSION) throw new Error(`not a version ${VERSION} heartbeat digest`)
  const count = view.getUint16(1)
  const beats: Beat[] = []
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let offset = 3
  for (let i = 0; i < count; i++) {
    if (offset + 1 > bytes.byteLength) throw new Error('truncated heartbeat digest')
    const idLength = view.getUint8(offset)
    if (idLength === 0 || offset + 1 + idLength + FIXED_BYTES > bytes.byteLength) throw new Error('truncated heartbeat digest')
    const id = decoder.decode(bytes.subarray(offset + 1, offset + 1 + idLength))
    offset += 1 + idLength
    const incarnation = view.getFloat64(offset)
    const clock = view.getFloat64(offset + 16)
    if (!Number.isFinite(incarnation) || !Number.isFinite(clock)) throw new Error('a heartbeat digest entry with an invalid incarnation or clock')
    // A copy: the signature outlives the frame it came in (it is relayed).
    const signature = bytes.slice(offset + 24, offset + FIXED_BYTES)
    beats.push({ id, incarnation, seq: view.getUint32(offset + 8), age: view.getUint32(offset + 12), clock, signature })
    offset += FIXED_BYTES
  }
  if (offset !== bytes.byteLength) throw new Error('trailing bytes after a heartbeat digest')
  return beats
}

function clampU32 (n: number): number {
  return Math.min(U32_MAX, Math.max(0, Math.floor(n)))
}
