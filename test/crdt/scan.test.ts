import { describe, expect, it } from 'vitest'
import { encodeRecord } from '../../src/crdt/record.ts'
import { isTornTail, scanLog } from '../../src/crdt/scan.ts'
import { prng } from './helpers.ts'

// A log of `count` records of varied sizes, and where each one starts.
function logOf (count: number, seed = 1): { log: Buffer, starts: number[] } {
  const rng = prng(seed)
  const records = Array.from({ length: count }, () => encodeRecord(Uint8Array.from({ length: 1 + rng.int(300) }, () => rng.next() < 0.3 ? 0 : rng.int(256))))
  const starts: number[] = []
  let at = 0
  for (const record of records) { starts.push(at); at += record.byteLength }
  return { log: Buffer.concat(records), starts }
}

function flipped (buf: Buffer, offset: number): Buffer {
  const copy = Buffer.from(buf)
  copy[offset] = (copy[offset] ?? 0) ^ 0x10
  return copy
}

describe('scanLog', () => {
  it('reads a clean log without a defect', () => {
    const { log, starts } = logOf(20)
    const scan = scanLog(log)
    expect(scan.defect).toBeUndefined()
    expect(scan.offsets).toEqual(starts)
    expect(scan.validBytes).toBe(log.byteLength)
  })

  describe('calls a torn tail', () => {
    const { log, starts } = logOf(10)
    const last = starts.at(-1) ?? 0

    it('any prefix of the last record', () => {
      for (let cut = last + 1; cut < log.byteLength; cut++) {
        const defect = scanLog(log.subarray(0, cut)).defect
        expect(defect && isTornTail(defect), `cut at ${cut}`).toBe(true)
        expect(defect?.offset).toBe(last)
      }
    })

    it('a flipped byte in the last record', () => {
      for (let offset = last; offset < log.byteLength; offset++) {
        const defect = scanLog(flipped(log, offset)).defect
        expect(defect && isTornTail(defect), `flip at ${offset}`).toBe(true)
        expect(defect?.offset).toBe(last)
      }
    })

    it('zeros or garbage where the last records should be (a power loss)', () => {
      const rng = prng(9)
      for (const tail of [Buffer.alloc(4096), Buffer.from(Uint8Array.from({ length: 5000 }, () => rng.int(256)))]) {
        const defect = scanLog(Buffer.concat([log, tail])).defect
        expect(defect && isTornTail(defect)).toBe(true)
        expect(defect?.offset).toBe(log.byteLength)
      }
    })
  })

  describe('calls corruption, with the offsets of the damage and of the next valid record', () => {
    const { log, starts } = logOf(12, 4)

    it('a flipped byte in any record but the last, header or body', () => {
      for (let i = 0; i < starts.length - 1; i++) {
        const start = starts[i] ?? 0
        const next = starts[i + 1] ?? 0
        for (const offset of [start, start + 3, start + 4, start + 8, next - 1]) {
          const defect = scanLog(flipped(log, offset)).defect
          expect(defect, `record ${i}, flip at ${offset}`).toMatchObject({ offset: start, nextRecord: next })
          expect(defect && isTornTail(defect)).toBe(false)
        }
      }
    })

    it('a zeroed range over several records', () => {
      const damaged = Buffer.from(log)
      const from = (starts[3] ?? 0) + 20
      damaged.fill(0, from, (starts[6] ?? 0) + 5)
      expect(scanLog(damaged).defect).toMatchObject({ offset: starts[3], nextRecord: starts[7] })
    })

    it('damage with a valid record between it and a torn tail (but not damage with only the torn record after it)', () => {
      // Two unsynced records garbled by a power loss look like this: nothing valid follows.
      const damaged = flipped(log, (starts[10] ?? 0) + 9).subarray(0, log.byteLength - 2)
      expect(scanLog(damaged).defect).toMatchObject({ offset: starts[10] })
      expect(scanLog(damaged).defect?.nextRecord).toBeUndefined()
      const deeper = flipped(log, (starts[9] ?? 0) + 9).subarray(0, log.byteLength - 2)
      expect(scanLog(deeper).defect).toMatchObject({ offset: starts[9], nextRecord: starts[10] })
    })
  })

  it('searches a long damaged tail in linear time', () => {
    // 4 MiB of bytes whose length fields often fit: the direct search took ~13 s.
    const rng = prng(2)
    const tail = Uint8Array.from({ length: 4 * 1024 * 1024 }, () => rng.next() < 0.6 ? 0 : rng.int(256))
    const started = performance.now()
    const defect = scanLog(Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff]), tail])).defect
    expect(defect && isTornTail(defect)).toBe(true)
    expect(performance.now() - started).toBeLessThan(5000)
  })
})
