import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { logsQuery, printLogs } from '../../../src/node/cli/logs.ts'
import { formatLogLine } from '../../../src/node/logs/index.ts'

function sink (): { stream: PassThrough, text: () => string } {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (chunk: Buffer) => { text += chunk.toString() })
  return { stream, text: () => text }
}

const LINE = { service: 'web', slot: 2, node: 'node-1', stream: 'stdout', line: 'héllo' }

describe('meshd service logs', () => {
  it('formats a line with its replica, and its time when the API sent one', () => {
    expect(formatLogLine({ service: 'web', slot: 2, node: 'node-1', stream: 'stdout', line: 'hello' })).toBe('web.2@node-1 | hello')
    expect(formatLogLine({ time: '2026-12-03T11:00:01.000000000Z', service: 'web', slot: 0, node: 'n', stream: 'stderr', line: 'x' })).toBe('web.0@n | 2026-12-03T11:00:01.000000000Z x')
  })

  it('asks for what the flags say', () => {
    expect(logsQuery({})).toBe('')
    expect(logsQuery({ follow: true, tail: '5', since: '10m', timestamps: true })).toBe('?follow=1&tail=5&since=10m&timestamps=1')
  })

  it('prints the lines whatever the chunking (a character split too), and the unreachable members on stderr', async () => {
    const text = `${JSON.stringify(LINE)}\n\n${JSON.stringify({ unreachable: ['node-3'], reasons: { 'node-3': 'no answer within 3 s' } })}\n`
    const bytes = Buffer.from(text)
    const chunks = Array.from({ length: bytes.byteLength }, (_, i) => bytes.subarray(i, i + 1))
    const stdout = sink()
    const stderr = sink()
    const unreachable = await printLogs(Readable.from(chunks), { stdout: stdout.stream, stderr: stderr.stream }, false)
    expect(stdout.text()).toBe('web.2@node-1 | héllo\n')
    expect(stderr.text()).toBe('node-3: unreachable (no answer within 3 s)\n')
    expect([...unreachable.keys()]).toEqual(['node-3'])
  })

  it('passes the JSON lines through with --json, keep-alives left out', async () => {
    const text = `${JSON.stringify(LINE)}\n\n{"unreachable":[],"reasons":{}}\n`
    const stdout = sink()
    const stderr = sink()
    await printLogs(Readable.from([Buffer.from(text)]), { stdout: stdout.stream, stderr: stderr.stream }, true)
    expect(stdout.text()).toBe(`${JSON.stringify(LINE)}\n{"unreachable":[],"reasons":{}}\n`)
    expect(stderr.text()).toBe('')
  })
})
