// Reading the update log, and the rule that tells a torn tail from corruption.
//
// A crash can damage only the end of the log. A killed process leaves at most a prefix
// of the record it was appending (a short header or a short body). A machine that lost
// power may also lose or garble whatever was written since the last fsync: zeros or
// stale bytes where the last records were, a length reaching past the end, a checksum
// that does not match. All of it sits after the last record that made it to disk, and
// no complete record can follow it: nothing was appended after the interrupted one.
//
// Everything else is corruption (a bad sector, a flipped bit, an overwritten range, a
// bad copy) and it can hit any record. So the rule: after the first defect, look for a
// valid record frame at every later byte offset. None: a torn tail, cut with a warning
// (what it held was never acknowledged). One: the damage is inside the log, and
// cutting there would silently drop valid, acknowledged records, so the caller must
// refuse to start. A chance match in garbage needs a length that fits and a CRC-32 that
// matches (about 1 in 4 billion per candidate), so a torn tail is not mistaken for
// corruption in practice; the opposite mistake (a checksum error in the very last
// record, nothing after it) cannot be told from a torn write by any reader.
//
// Limit, on purpose: updates from peers are fsynced lazily (disk.ts), so after a power
// loss a hole can in principle be followed by a later peer record that did reach the
// disk. That reads as corruption and stops the start; `meshd doctor --repair` cuts it,
// and peers hold every one of those updates. Refusing is the safe side to err on.

import { MAX_RECORD_BYTES, RECORD_HEADER_BYTES } from './constants.ts'
import { RangeCrc } from './range-crc.ts'
import { decodeRecords } from './record.ts'
import type { RecordDefect } from './record.ts'

/** The first damaged record of a log. */
export interface LogDefect {
  kind: RecordDefect
  /** Byte offset where the damaged record starts: everything before it is valid. */
  offset: number
  /** Where the next valid record starts, if any does: then the damage is not a torn tail. */
  nextRecord?: number
}

/** The valid records of a log up to its first defect. */
export interface LogScan {
  /** Record bodies, as views into the input buffer. */
  bodies: Uint8Array[]
  /** Where each record starts. */
  offsets: number[]
  validBytes: number
  defect?: LogDefect
}

/** Decodes the log up to its first defect and, past one, looks for a later valid record. */
export function scanLog (buf: Uint8Array): LogScan {
  const { bodies, validBytes, defect } = decodeRecords(buf)
  const offsets: number[] = []
  let offset = 0
  for (const body of bodies) {
    offsets.push(offset)
    offset += RECORD_HEADER_BYTES + body.byteLength
  }
  if (defect === undefined) return { bodies, offsets, validBytes }
  const nextRecord = findRecord(buf, validBytes + 1)
  return { bodies, offsets, validBytes, defect: { kind: defect, offset: validBytes, ...(nextRecord === undefined ? {} : { nextRecord }) } }
}

/** True when the damage is a torn tail: no valid record follows it. */
export function isTornTail (defect: LogDefect): boolean {
  return defect.nextRecord === undefined
}

/** The first offset at or after `from` where a complete record with a matching checksum starts. */
export function findRecord (buf: Uint8Array, from: number): number | undefined {
  if (from + RECORD_HEADER_BYTES >= buf.byteLength) return undefined
  const tail = buf.subarray(from)
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength)
  const crcs = new RangeCrc(tail)
  for (let offset = 0; offset + RECORD_HEADER_BYTES < tail.byteLength; offset++) {
    // The length test rejects most offsets before any checksum is looked at.
    const length = view.getUint32(offset, true)
    if (length === 0 || length > MAX_RECORD_BYTES || length > tail.byteLength - offset - RECORD_HEADER_BYTES) continue
    const body = offset + RECORD_HEADER_BYTES
    if (crcs.of(body, body + length) === view.getUint32(offset + 4, true)) return from + offset
  }
  return undefined
}
