// The on-disk framing shared by the update log and the snapshot:
// [u32 length][u32 crc32 of the body][body], little-endian. The checksum lets a
// reader tell a complete record from a torn or corrupted one.

import { crc32 } from 'node:zlib'
import { MAX_RECORD_BYTES, RECORD_HEADER_BYTES } from './constants.ts'

/** Why a byte range is not a valid record. */
export type RecordDefect = 'short-header' | 'bad-length' | 'short-body' | 'bad-checksum'

/** The records of a buffer up to the first defect. */
export interface DecodedRecords {
  /** Record bodies, as views into the input buffer. */
  bodies: Uint8Array[]
  /** Bytes from the start that hold complete, valid records. */
  validBytes: number
  /** What stopped decoding before the end of the buffer, if anything. */
  defect?: RecordDefect
}

/** Frames one body as a record: header and body in one buffer, so one write() appends it. */
export function encodeRecord (body: Uint8Array): Buffer {
  if (body.byteLength === 0 || body.byteLength > MAX_RECORD_BYTES) {
    throw new RangeError(`record body must be 1..${MAX_RECORD_BYTES} bytes, got ${body.byteLength}`)
  }
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + body.byteLength)
  record.writeUInt32LE(body.byteLength, 0)
  record.writeUInt32LE(crc32(body), 4)
  record.set(body, RECORD_HEADER_BYTES)
  return record
}

/** Decodes consecutive records from the start of `buf`, stopping at the first defect. */
export function decodeRecords (buf: Uint8Array): DecodedRecords {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const bodies: Uint8Array[] = []
  let offset = 0
  while (offset < buf.byteLength) {
    const defect = recordDefect(buf, view, offset)
    if (defect !== undefined) return { bodies, validBytes: offset, defect }
    const length = view.getUint32(offset, true)
    bodies.push(buf.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + length))
    offset += RECORD_HEADER_BYTES + length
  }
  return { bodies, validBytes: offset }
}

function recordDefect (buf: Uint8Array, view: DataView, offset: number): RecordDefect | undefined {
  if (buf.byteLength - offset < RECORD_HEADER_BYTES) return 'short-header'
  const length = view.getUint32(offset, true)
  // A zero length is rejected too: a crashed filesystem may leave a zero-filled tail,
  // which would otherwise read as valid empty records (crc32 of nothing is 0).
  if (length === 0 || length > MAX_RECORD_BYTES) return 'bad-length'
  const start = offset + RECORD_HEADER_BYTES
  if (buf.byteLength - start < length) return 'short-body'
  if (crc32(buf.subarray(start, start + length)) !== view.getUint32(offset + 4, true)) return 'bad-checksum'
  return undefined
}
