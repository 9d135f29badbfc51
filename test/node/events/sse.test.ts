// SSE framing and its parser: one frame per event (`event:` and one `data:` line),
// comments skipped, frames split anywhere across chunks, an oversize frame refused.

import { describe, expect, it } from 'vitest'
import { SseParser, sseComment, sseEvent, sseUnreachable } from '../../../src/node/events/index.ts'
import type { MeshEvent } from '../../../src/node/events/index.ts'

const event: MeshEvent = { kind: 'replica.failed', service: 'web', slot: 1, exitCode: 137, message: 'line one\nline two', id: 7, time: 1, node: 'node-2' }

describe('SSE framing', () => {
  it('writes an event as event: and one data: line of JSON, then a blank line', () => {
    const frame = sseEvent(event)
    expect(frame).toBe(`event: replica.failed\ndata: ${JSON.stringify(event)}\n\n`)
    expect(frame.split('\n')).toHaveLength(4)
  })

  it('writes the unreachable frame and comments on one line', () => {
    expect(sseUnreachable('node-3')).toBe('event: meshd.unreachable\ndata: {"node":"node-3"}\n\n')
    expect(sseComment('ping')).toBe(': ping\n\n')
    expect(sseComment('a\nb')).toBe(': a b\n\n')
  })

  it('parses frames back, across any split into chunks, skipping comments', () => {
    const text = sseComment('ping') + sseEvent(event) + sseUnreachable('node-3') + 'data: a\r\ndata: b\r\n\r\n'
    for (let size = 1; size <= text.length; size += 7) {
      const parser = new SseParser()
      const frames = []
      for (let at = 0; at < text.length; at += size) frames.push(...parser.push(text.slice(at, at + size)))
      expect(frames).toEqual([
        { event: 'replica.failed', data: JSON.stringify(event) },
        { event: 'meshd.unreachable', data: '{"node":"node-3"}' },
        { event: 'message', data: 'a\nb' }
      ])
      expect(JSON.parse(frames[0]!.data)).toEqual(event)
    }
  })

  it('refuses a frame larger than its limit', () => {
    const parser = new SseParser(100)
    expect(() => parser.push(`data: ${'x'.repeat(200)}`)).toThrow(/more than 100 bytes/)
  })
})
