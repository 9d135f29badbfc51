import { describe, expect, it } from 'vitest'
import { FrameReader, encodeFrame } from '../../src/gossip/frames.ts'

async function * chunked (bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let offset = 0
  for (let i = 0; offset < bytes.byteLength; i++) {
    const size = sizes[i % sizes.length] as number
    yield bytes.subarray(offset, offset + size)
    offset += size
  }
}

describe('FrameReader', () => {
  const frames = [encodeFrame(1, Uint8Array.of(1, 2, 3)), encodeFrame(2, new Uint8Array(0)), encodeFrame(3, new Uint8Array(70_000).fill(7))]
  const wire = Buffer.concat(frames)

  for (const sizes of [[1], [2, 3], [4096], [wire.byteLength]]) {
    it(`reassembles frames split into chunks of ${sizes.join('/')} bytes`, async () => {
      const reader = new FrameReader(chunked(wire, sizes), 1 << 20)
      const first = await reader.expect()
      expect([first.type, ...first.payload]).toEqual([1, 1, 2, 3])
      const empty = await reader.expect()
      expect([empty.type, empty.payload.byteLength]).toEqual([2, 0])
      const big = await reader.expect()
      expect(big.type).toBe(3)
      expect(big.payload.byteLength).toBe(70_000)
      expect(big.payload.every(byte => byte === 7)).toBe(true)
      expect(await reader.next()).toBeUndefined()
    })
  }

  it('refuses frames over the limit and streams that end inside a frame', async () => {
    await expect(new FrameReader(chunked(wire, [5]), 100).expect().then(() => new FrameReader(chunked(frames[2] as Uint8Array, [5]), 100).next())).rejects.toThrow(/exceeds the limit/)
    await expect(new FrameReader(chunked(wire.subarray(0, 6), [6]), 100).next()).rejects.toThrow(/ended inside a frame/)
    await expect(new FrameReader(chunked(wire.subarray(0, 3), [3]), 100).next()).rejects.toThrow(/inside a frame header/)
    await expect(new FrameReader(chunked(new Uint8Array(0), [1]), 100).expect()).rejects.toThrow(/ended early/)
  })
})
