import { describe, expect, it } from 'vitest'
import { crc32 } from 'node:zlib'
import { RangeCrc } from '../../src/crdt/range-crc.ts'
import { prng } from './helpers.ts'

describe('RangeCrc', () => {
  it('equals node:zlib crc32 over every range of a small buffer', () => {
    const rng = prng(3)
    const buf = Uint8Array.from({ length: 70 }, () => rng.int(256))
    const ranges = new RangeCrc(buf)
    for (let start = 0; start <= buf.byteLength; start++) {
      for (let end = start; end <= buf.byteLength; end++) {
        expect(ranges.of(start, end), `[${start}, ${end})`).toBe(crc32(buf.subarray(start, end)))
      }
    }
  })

  it('equals node:zlib crc32 over random long ranges', () => {
    const rng = prng(5)
    const buf = Uint8Array.from({ length: 300_000 }, () => rng.next() < 0.4 ? 0 : rng.int(256))
    const ranges = new RangeCrc(buf)
    for (let i = 0; i < 500; i++) {
      const start = rng.int(buf.byteLength)
      const end = start + rng.int(buf.byteLength - start + 1)
      expect(ranges.of(start, end)).toBe(crc32(buf.subarray(start, end)))
    }
  })
})
