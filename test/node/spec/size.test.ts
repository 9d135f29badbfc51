import { describe, expect, it } from 'vitest'
import { formatSize, parseSize } from '../../../src/node/spec/size.ts'

describe('parseSize', () => {
  it.each([
    ['0', 0],
    ['512', 512],
    ['512b', 512],
    ['1k', 1024],
    ['1KiB', 1024],
    ['1.5k', 1536],
    ['64m', 64 * 2 ** 20],
    ['64M', 64 * 2 ** 20],
    ['64MB', 64 * 2 ** 20],
    ['64MiB', 64 * 2 ** 20],
    ['1g', 2 ** 30],
    ['2TiB', 2 * 2 ** 40]
  ])('reads %s as %i bytes (binary units, as Docker\'s --memory)', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes)
  })

  it.each(['', 'm', '64i', '64 MiB', '-1m', '1e3', '64x', '64mibb', '.5m', `${'9'.repeat(40)}`, '1'.repeat(20) + 't'])('refuses %j', (text) => {
    expect(parseSize(text)).toBeUndefined()
  })
})

describe('formatSize', () => {
  it.each([[6 * 2 ** 20, '6MiB'], [2 ** 40, '1TiB'], [1536, '1.5KiB'], [100, '100B'], [1000, '1000B']])('%i → %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text)
    expect(parseSize(text)).toBe(bytes)
  })
})
