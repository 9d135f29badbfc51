// The dashboard's pure modules (src/node/ui/assets/), run in Node: the Server-Sent Events
// parser the page reads /v1/events with, the traffic rates it charts, the members as it
// shows them (answers out of order, fresh member events), and its list of recent events.
// They are plain browser JavaScript, so they are imported by URL, typed here.

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

interface Member { id: string, name: string, state: string }
interface MemberBoard {
  list: Member[]
  since: Map<string, number>
  answer: (list: Member[], asked: number, now: number) => boolean
  news: (event: unknown, asked: number, now: number) => boolean
}
const { Members } = await import(asset('members.js')) as { Members: new () => MemberBoard }

interface Listed { kind: string, time: number, node?: string, id?: number }
interface EventList { list: Listed[], add: (kind: string, event: Record<string, unknown>, now: number) => boolean }
const { RecentEvents } = await import(asset('recent.js')) as { RecentEvents: new (limit?: number) => EventList }

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

describe('the dashboard\'s members', () => {
  const three = (third: string): Member[] => [{ id: 'p1', name: 'n1', state: 'alive' }, { id: 'p2', name: 'n2', state: 'alive' }, { id: 'p3', name: 'n3', state: third }]

  it('keeps the answer to the newest question, whatever order answers arrive in, and stamps each state change', () => {
    const members = new Members()
    expect(members.answer(three('alive'), 10, 1000)).toBe(true)
    expect(members.answer(three('dead'), 30, 3000)).toBe(true)
    expect(members.answer(three('alive'), 20, 3100)).toBe(false)
    expect(members.list[2]?.state).toBe('dead')
    expect(members.since.get('n3')).toBe(3000)
    expect(members.since.get('n1')).toBe(1000)
  })

  it('takes a fresh member event at once (by name or by id), and drops answers asked before it', () => {
    const members = new Members()
    members.answer(three('alive'), 10, 1000)
    expect(members.news({ kind: 'member.dead', member: 'n3', time: 4000, node: 'n2', id: 9 }, 20, 4100)).toBe(true)
    expect(members.list[2]?.state).toBe('dead')
    expect(members.since.get('n3')).toBe(4100)
    expect(members.answer(three('suspect'), 15, 4200)).toBe(false)
    expect(members.news({ kind: 'member.alive', member: 'p3', time: 5000 }, 30, 5000)).toBe(true)
    expect(members.list[2]?.state).toBe('alive')
  })

  it('ignores history (an event older than 5 s), other kinds, unknown members and no change', () => {
    const members = new Members()
    members.answer(three('alive'), 10, 1000)
    expect(members.news({ kind: 'member.dead', member: 'n3', time: 1000 }, 20, 9000)).toBe(false)
    expect(members.news({ kind: 'replica.failed', member: 'n3', time: 9000 }, 20, 9000)).toBe(false)
    expect(members.news({ kind: 'member.dead', member: 'n9', time: 9000 }, 20, 9000)).toBe(false)
    expect(members.news({ kind: 'member.alive', member: 'n3', time: 9000 }, 20, 9000)).toBe(false)
    expect(members.list.map((m) => m.state)).toEqual(['alive', 'alive', 'alive'])
  })
})

describe('the dashboard\'s recent events', () => {
  it('lists the newest first, each event once, at most `limit`', () => {
    const events = new RecentEvents(3)
    for (const [id, time] of [[1, 100], [2, 300], [3, 200], [4, 400]] as const) expect(events.add('member.alive', { kind: 'member.alive', node: 'n1', id, time }, 0)).toBe(true)
    expect(events.add('member.alive', { kind: 'member.alive', node: 'n1', id: 2, time: 300 }, 0)).toBe(false)
    expect(events.add('member.alive', { kind: 'member.alive', node: 'n2', id: 2, time: 250 }, 0)).toBe(true)
    expect(events.list.map((e) => `${e.node}:${e.id}`)).toEqual(['n1:4', 'n1:2', 'n2:2'])
  })

  it('keeps the events of a restarted node, whose ids start again from 1', () => {
    const events = new RecentEvents()
    expect(events.add('member.alive', { kind: 'member.alive', node: 'n3', id: 1, time: 100 }, 0)).toBe(true)
    expect(events.add('member.alive', { kind: 'member.alive', node: 'n3', id: 1, time: 900 }, 0)).toBe(true)
    expect(events.list.map((e) => e.time)).toEqual([900, 100])
  })

  it('stamps a frame without an id (meshd.unreachable) with its arrival, each time', () => {
    const events = new RecentEvents()
    expect(events.add('meshd.unreachable', { node: 'n3' }, 500)).toBe(true)
    expect(events.add('meshd.unreachable', { node: 'n3' }, 600)).toBe(true)
    expect(events.list.map((e) => [e.kind, e.time])).toEqual([['meshd.unreachable', 600], ['meshd.unreachable', 500]])
  })
})
