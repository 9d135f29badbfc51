import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { frame } from './docker-frames.ts'
import { dockerSince, FrameParser, LineSplitter, normalTime, readLine, timedLines, timeOfMs } from '../../../src/node/logs/lines.ts'

async function collect<T> (items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

describe('FrameParser', () => {
  it('takes frames apart whatever the chunking', () => {
    const bytes = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err one\n'), frame(1, 'out two\n')])
    for (const size of [1, 3, 8, 9, 100]) {
      const parser = new FrameParser()
      const text = { stdout: '', stderr: '' }
      for (let at = 0; at < bytes.byteLength; at += size) {
        for (const { stream, data } of parser.push(bytes.subarray(at, at + size))) text[stream] += data.toString()
      }
      expect(text, `chunks of ${size}`).toEqual({ stdout: 'out one\nout two\n', stderr: 'err one\n' })
    }
  })
})

describe('LineSplitter', () => {
  it('cuts at newlines across chunks and drops a trailing \\r', () => {
    const lines = new LineSplitter()
    expect(lines.push(Buffer.from('a\r\nb'))).toEqual(['a'])
    expect(lines.push(Buffer.from('c\nd'))).toEqual(['bc'])
    expect(lines.end()).toEqual(['d'])
    expect(lines.end()).toEqual([])
  })

  it('cuts a line longer than its limit in pieces', () => {
    const lines = new LineSplitter(4)
    expect(lines.push(Buffer.from('abcdefghij\nxy'))).toEqual(['abcd', 'efgh', 'ij'])
    expect(lines.push(Buffer.from('zw'))).toEqual([])
    expect(lines.push(Buffer.from('\n'))).toEqual(['xyzw'])
    expect(lines.push(Buffer.from('12345'))).toEqual(['1234'])
  })
})

describe('times', () => {
  it('normalises Docker\'s RFC 3339 times to 9 digits, so text order is time order', () => {
    expect(normalTime('2026-12-03T11:00:00.5Z')).toBe('2026-12-03T11:00:00.500000000Z')
    expect(normalTime('2026-12-03T11:00:00Z')).toBe('2026-12-03T11:00:00.000000000Z')
    expect(normalTime('2026-12-03T11:00:00.123456789Z')).toBe('2026-12-03T11:00:00.123456789Z')
    expect(normalTime('hello')).toBeUndefined()
    expect(normalTime('2026-12-03T11:00:00.5Z') as string > (normalTime('2026-12-03T11:00:00.123Z') as string)).toBe(true)
  })

  it('says a time as Docker\'s since', () => {
    expect(dockerSince('2026-12-03T11:00:00.500000001Z')).toBe(`${Date.parse('2026-12-03T11:00:00Z') / 1000}.500000001`)
    expect(timeOfMs(Date.parse('2026-12-03T11:00:00.250Z'))).toBe('2026-12-03T11:00:00.250000000Z')
  })

  it('reads a line\'s timestamp, or keeps the previous one for a piece without', () => {
    expect(readLine('2026-12-03T11:00:00.5Z hello world', 'x')).toEqual({ time: '2026-12-03T11:00:00.500000000Z', line: 'hello world' })
    expect(readLine('continued', '2026-12-03T11:00:00.500000000Z')).toEqual({ time: '2026-12-03T11:00:00.500000000Z', line: 'continued' })
  })
})

describe('timedLines', () => {
  it('demultiplexes stdout and stderr', async () => {
    const bytes = Buffer.concat([frame(1, '2026-12-03T11:00:01.000000000Z one\n'), frame(2, '2026-12-03T11:00:02.000000000Z two\n')])
    const lines = await collect(timedLines({ tty: false, stream: Readable.from([bytes.subarray(0, 5), bytes.subarray(5)]) }))
    expect(lines).toEqual([
      { time: '2026-12-03T11:00:01.000000000Z', stream: 'stdout', line: 'one' },
      { time: '2026-12-03T11:00:02.000000000Z', stream: 'stderr', line: 'two' }
    ])
  })

  it('reads a TTY\'s raw stream as stdout', async () => {
    const lines = await collect(timedLines({ tty: true, stream: Readable.from([Buffer.from('2026-12-03T11:00:01Z one\r\n2026-12-03T11:00:02Z tw'), Buffer.from('o')]) }))
    expect(lines.map((l) => [l.stream, l.line])).toEqual([['stdout', 'one'], ['stdout', 'two']])
  })
})
