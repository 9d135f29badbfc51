import { describe, it, expect } from 'vitest'
import { crc32 } from 'node:zlib'
import { decodeRecords, encodeRecord } from '../../src/crdt/record.ts'

const bodies = [Uint8Array.of(1), Uint8Array.of(2, 3, 4), new Uint8Array(300).fill(7)]
const framed = Buffer.concat(bodies.map(encodeRecord))

describe('record framing', () => {
  it('frames as [u32 length][u32 crc32][body], little-endian', () => {
    const record = encodeRecord(Uint8Array.of(9, 8, 7))
    expect(record.readUInt32LE(0)).toBe(3)
    expect(record.readUInt32LE(4)).toBe(crc32(Uint8Array.of(9, 8, 7)))
    expect([...record.subarray(8)]).toEqual([9, 8, 7])
  })

  it('decodes what it encoded', () => {
    const decoded = decodeRecords(framed)
    expect(decoded.bodies.map(body => [...body])).toEqual(bodies.map(body => [...body]))
    expect(decoded.validBytes).toBe(framed.byteLength)
    expect(decoded.defect).toBeUndefined()
  })

  it('stops at a cut anywhere in the last record, keeping the ones before', () => {
    const lastStart = framed.byteLength - encodeRecord(bodies[2] ?? new Uint8Array(1)).byteLength
    for (let cut = lastStart + 1; cut < framed.byteLength; cut++) {
      const decoded = decodeRecords(framed.subarray(0, cut))
      expect(decoded.bodies).toHaveLength(2)
      expect(decoded.validBytes).toBe(lastStart)
      expect(decoded.defect).toBe(cut - lastStart < 8 ? 'short-header' : 'short-body')
    }
  })

  it('rejects a flipped bit in the checksum or the body', () => {
    for (const offset of [4, 7, 8]) {
      const damaged = Buffer.from(framed.subarray(0, 9))
      damaged[offset] = (damaged[offset] ?? 0) ^ 0x10
      expect(decodeRecords(damaged)).toMatchObject({ bodies: [], validBytes: 0, defect: 'bad-checksum' })
    }
  })

  it('rejects zero and absurd lengths, such as a zero-filled tail', () => {
    expect(decodeRecords(Buffer.concat([framed, Buffer.alloc(64)]))).toMatchObject({ validBytes: framed.byteLength, defect: 'bad-length' })
    expect(decodeRecords(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1]))).toMatchObject({ validBytes: 0, defect: 'bad-length' })
  })

  it('refuses to frame an empty body', () => {
    expect(() => encodeRecord(new Uint8Array(0))).toThrow(RangeError)
  })
})
