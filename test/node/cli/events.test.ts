// `meshd events`: --since as a duration or a time (anything else named), and each
// frame as a line — JSON with a `kind` on every line, or text without control characters.

import { describe, expect, it } from 'vitest'
import { lineOf, sinceOf } from '../../../src/node/cli/events.ts'

describe('meshd events', () => {
  it('reads --since as a duration before now, or a time', () => {
    expect(sinceOf('10m', 1_000_000)).toBe(400_000)
    expect(sinceOf('1h', 1000)).toBe(0)
    expect(sinceOf('2026-01-01T10:00:00Z', 0)).toBe(Date.parse('2026-01-01T10:00:00Z'))
    for (const bad of ['10', 'yesterday', '2026-13-45T99:00:00Z', '']) expect(() => sinceOf(bad, 0), bad).toThrow(/--since/)
  })

  it('prints an event as JSON or as one line of text', () => {
    const event = { kind: 'replica.failed', service: 'web', slot: 0, exitCode: 137, message: 'web.0 failed:\u001b[31m exited\ncode 137', id: 4, time: 0, node: 'node-1' }
    const frame = { event: 'replica.failed', data: JSON.stringify(event) }
    expect(JSON.parse(lineOf(frame, true))).toEqual(event)
    const text = lineOf(frame, false)
    expect(text).toBe(`1970-01-01T00:00:00.000Z  node-1       replica.failed     web.0 failed: [31m exited code 137\n`)
    expect(text.split('\n')).toHaveLength(2)
  })

  it('prints an unreachable member', () => {
    const frame = { event: 'meshd.unreachable', data: '{"node":"node-3"}' }
    expect(lineOf(frame, false)).toBe('node-3: unreachable\n')
    expect(JSON.parse(lineOf(frame, true))).toMatchObject({ kind: 'meshd.unreachable', node: 'node-3' })
    expect(lineOf({ event: 'x', data: 'not json' }, true)).toBe('')
  })
})
