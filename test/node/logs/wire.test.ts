import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { clientLines, memberItems, memberLine, readableOf } from '../../../src/node/logs/wire.ts'
import type { LogItem, LogLine } from '../../../src/node/logs/types.ts'

const LINE: LogLine = { time: '2026-12-03T11:00:01.000000000Z', service: 'web', slot: 2, node: 'node-1', stream: 'stderr', line: 'hello "there"' }

async function collect<T> (items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

async function * of (items: LogItem[]): AsyncGenerator<LogItem> { yield * items }

describe('between members', () => {
  it('carries lines, the live mark and pings, and reads them back whatever the chunking', async () => {
    const text = [LINE, { live: true } as const, { ping: true } as const, { lost: 'x', why: 'y' }].map(memberLine).join('')
    expect(text).toBe(`${JSON.stringify(LINE)}\n{"live":true}\n\n\n`)
    const bytes = Buffer.from(text)
    const chunks = Array.from({ length: Math.ceil(bytes.byteLength / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7))
    expect(await collect(memberItems(Readable.from(chunks)))).toEqual([LINE, { live: true }, { ping: true }, { ping: true }])
  })

  it('skips what is not a well-formed item', async () => {
    const bad = ['not json', '{"time":"yesterday","service":"web","slot":0,"node":"n","stream":"stdout","line":"x"}',
      JSON.stringify({ ...LINE, slot: '2' }), JSON.stringify({ ...LINE, stream: 'stdin' }), 'null', '[]']
    expect(await collect(memberItems(Readable.from([Buffer.from(`${bad.join('\n')}\n${JSON.stringify(LINE)}\n`)])))).toEqual([LINE])
  })
})

describe('clientLines', () => {
  it('strips the time unless asked, and ends with the unreachable members (even none)', async () => {
    const lines = await collect(clientLines(of([LINE, { lost: 'node-3', why: 'no answer within 3 s' }]), false, false))
    const { time: _time, ...untimed } = LINE
    expect(lines).toEqual([`${JSON.stringify(untimed)}\n`, `${JSON.stringify({ unreachable: ['node-3'], reasons: { 'node-3': 'no answer within 3 s' } })}\n`])
    expect(await collect(clientLines(of([LINE]), true, false))).toEqual([`${JSON.stringify(LINE)}\n`, '{"unreachable":[],"reasons":{}}\n'])
  })

  it('following: reports the lost members once history is out, then each as it is lost; pings as empty lines', async () => {
    const lines = await collect(clientLines(of([{ lost: 'a', why: 'w' }, LINE, { live: true }, { ping: true }, { lost: 'b', why: 'v' }]), true, true))
    expect(lines).toEqual([`${JSON.stringify(LINE)}\n`, '{"unreachable":["a"],"reasons":{"a":"w"}}\n', '\n', '{"unreachable":["b"],"reasons":{"b":"v"}}\n'])
  })
})

describe('readableOf', () => {
  it('reads only as fast as its reader, and aborts the work when destroyed', async () => {
    let produced = 0
    async function * lines (): AsyncGenerator<string> {
      while (true) {
        produced++
        yield 'x'.repeat(1024)
      }
    }
    const controller = new AbortController()
    const readable = readableOf(lines(), controller)
    readable.read(0)
    await new Promise((resolve) => setTimeout(resolve, 50))
    // The readable's buffer (64 KiB by default) and no more, however long nobody reads.
    const buffered = produced
    expect(buffered).toBeLessThan(100)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(produced).toBe(buffered)
    readable.destroy()
    expect(controller.signal.aborted).toBe(true)
  })
})
