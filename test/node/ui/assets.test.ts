// The dashboard's pure modules (src/node/ui/assets/sse.js and traffic.js), run in Node:
// the Server-Sent Events parser the page reads /v1/events with, and the traffic rates it
// charts. They are plain browser JavaScript, so they are imported by URL, typed here.

import { describe, expect, it } from 'vitest'

interface SseEvent { type: string, data: string, id?: string }
interface Sample { time: number, connections: number, bytesIn: number, bytesOut: number, errors: number }
interface TrafficSeries {
  limit: number
  series: Map<string, Sample[]>
  current: Map<string, { active: number, total: number, errors: number }>
  add: (time: number, mesh: unknown) => void
}

const asset = (name: string): string => new URL(`../../../src/node/ui/assets/${name}`, import.meta.url).href
const { sseParser } = await import(asset('sse.js')) as { sseParser: (onEvent: (e: SseEvent) => void) => (chunk: string) => void }
const { Traffic } = await import(asset('traffic.js')) as { Traffic: new (limit?: number) => TrafficSeries }

function parseAll (chunks: string[]): SseEvent[] {
  const events: SseEvent[] = []
  const feed = sseParser((e) => events.push(e))
  for (const chunk of chunks) feed(chunk)
  return events
}

describe('the dashboard\'s event stream parser', () => {
  it('gives one event per blank line, with its type and data', () => {
    expect(parseAll(['event: replica.started\ndata: {"kind":"replica.started","id":1}\n\n'])).toEqual([
      { type: 'replica.started', data: '{"kind":"replica.started","id":1}' }
    ])
  })

  it('joins events split across chunks anywhere, even inside a line or a CRLF', () => {
    const text = 'event: member.dead\r\ndata: {"member":"n3"}\r\n\r\nevent: service.scaled\ndata: {"service":"web"}\n\n'
    for (let cut = 1; cut < text.length; cut++) {
      expect(parseAll([text.slice(0, cut), text.slice(cut)]).map((e) => [e.type, e.data])).toEqual([
        ['member.dead', '{"member":"n3"}'], ['service.scaled', '{"service":"web"}']
      ])
    }
  })

  it('skips comments (the 15 s ping), joins multi-line data, defaults the type, keeps an unfinished event', () => {
    expect(parseAll([': ping\n\n', 'data: a\ndata: b\nid: 7\n\n', 'event: x\ndata: half'])).toEqual([{ type: 'message', data: 'a\nb', id: '7' }])
  })
})

describe('the dashboard\'s traffic rates', () => {
  const mesh = (total: number, bytesIn: number, bytesOut: number, active = 0): unknown => ({
    connections: { active, max: 0 },
    services: [{ service: 'web', connections: { total, active }, bytesIn, bytesOut, errors: 0, retries: 0 }]
  })

  it('turns growing counters into per-second rates, from the second reading on', () => {
    const traffic = new Traffic()
    traffic.add(1000, mesh(10, 1000, 5000))
    expect(traffic.series.get('web')).toBeUndefined()
    traffic.add(3000, mesh(30, 3000, 9000, 2))
    expect(traffic.series.get('web')).toEqual([{ time: 3000, connections: 10, bytesIn: 1000, bytesOut: 2000, errors: 0 }])
    expect(traffic.current.get('web')).toMatchObject({ active: 2, total: 30 })
  })

  it('counts a restarted node\'s smaller counters as no traffic, keeps at most `limit` samples, forgets gone services', () => {
    const traffic = new Traffic(3)
    traffic.add(0, mesh(100, 100, 100))
    traffic.add(1000, mesh(5, 5, 5))
    expect(traffic.series.get('web')?.[0]?.connections).toBe(0)
    for (let t = 2; t <= 6; t++) traffic.add(t * 1000, mesh(5 + t, 5, 5))
    expect(traffic.series.get('web')?.map((s) => s.time)).toEqual([4000, 5000, 6000])
    traffic.add(7000, { services: [] })
    expect(traffic.series.has('web')).toBe(false)
  })
})
