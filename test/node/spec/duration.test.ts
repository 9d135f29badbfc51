import { describe, expect, it } from 'vitest'
import { formatDuration, parseDuration } from '../../../src/node/spec/duration.ts'

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['.5s', 500],
    ['1.s', 1000],
    ['250us', 0],
    ['1500us', 2],
    ['1500µs', 2],
    ['1500μs', 2],
    ['999999ns', 1],
    ['0s', 0],
    ['2h45m', 9_900_000],
    ['1h0m0s', 3_600_000],
    ['1s500ms', 1500],
    ['0.1h', 360_000]
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each([
    '', '5', '0', '-1s', '+1s', 'abc', 's', '.s', '1d', '1S', '1 s', ' 1s', '1s ', '1e3ms', '1..5s', '1h-5m',
    '1'.repeat(65) + 's', '9'.repeat(30) + 'h'
  ])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow()
  })
})

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [1, '1ms'],
    [500, '500ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
    [3_600_500, '1h0.5s'],
    [86_400_000, '24h']
  ])('%i ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })

  it('is read back as the same number of milliseconds', () => {
    for (const ms of [0, 1, 7, 999, 1000, 1001, 59_999, 60_000, 61_234, 3_599_999, 3_600_001, 123_456_789]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms)
    }
  })

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('rejects %d', (ms) => {
    expect(() => formatDuration(ms)).toThrow(RangeError)
  })
})
