import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { memberLogs } from '../../../src/node/logs/member.ts'
import type { ContainerInfo, ContainerLogOptions, Runtime } from '../../../src/node/runtime/index.ts'
import { silent } from '../../support/logger.ts'
import { frame } from './docker-frames.ts'

function container (id: string, slot: number, service = 'web'): ContainerInfo {
  return { id, name: id, service, slot, generation: 1, node: 'node-1', state: 'running', ports: [] }
}

/** A runtime whose containers' history is given, and whose followed logs the test writes to. */
function fakeRuntime (history: Record<string, string[]>): { runtime: Pick<Runtime, 'list' | 'logs'>, asked: Array<{ id: string } & ContainerLogOptions>, live: Map<string, PassThrough>, containers: ContainerInfo[] } {
  const asked: Array<{ id: string } & ContainerLogOptions> = []
  const live = new Map<string, PassThrough>()
  const containers = Object.keys(history).map((id, i) => container(id, i))
  containers.push(container('other', 0, 'db'))
  return {
    asked,
    live,
    containers,
    runtime: {
      list: async () => containers,
      logs: async (id, opts) => {
        asked.push({ id, ...opts })
        if (!opts.follow) return { tty: false, stream: Readable.from((history[id] ?? []).map((text) => frame(1, `${text}\n`))) }
        const stream = new PassThrough()
        live.set(id, stream)
        opts.signal?.addEventListener('abort', () => { stream.destroy() })
        return { tty: false, stream }
      }
    }
  }
}

const T = (second: number): string => `2026-12-03T11:00:0${second}.000000000Z`

describe('memberLogs', () => {
  it('merges this node\'s replicas of the service in time order, asking Docker for the tail', async () => {
    const { runtime, asked } = fakeRuntime({ c0: [`${T(1)} zero a`, `${T(4)} zero b`], c1: [`${T(2)} one a`] })
    const out = []
    for await (const item of memberLogs({ runtime, log: silent }, 'web', { follow: false, timestamps: false, tail: 5 }, new AbortController().signal)) out.push(item)
    expect(out.map((item) => 'line' in item ? `${item.service}.${item.slot}@${item.node} ${item.line}` : item)).toEqual(['web.0@node-1 zero a', 'web.1@node-1 one a', 'web.0@node-1 zero b'])
    expect(asked.map(({ id, follow, tail }) => ({ id, follow, tail }))).toEqual([{ id: 'c0', follow: false, tail: 5 }, { id: 'c1', follow: false, tail: 5 }])
  })

  it('following: history, the live mark, then each replica followed from its last line, and replicas that start later', async () => {
    const fake = fakeRuntime({ c0: [`${T(1)} old`] })
    const controller = new AbortController()
    const items = memberLogs({ runtime: fake.runtime, log: silent, discoverMs: 20, keepaliveMs: 60_000 }, 'web', { follow: true, timestamps: false }, controller.signal)
    expect((await items.next()).value).toMatchObject({ line: 'old' })
    expect((await items.next()).value).toEqual({ live: true })
    const next = items.next()
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(fake.asked.at(-1)).toMatchObject({ id: 'c0', follow: true, since: `${Date.parse('2026-12-03T11:00:01Z') / 1000}.000000000` })
    // Docker's since includes the last line read: it is not repeated.
    fake.live.get('c0')?.write(frame(1, `${T(1)} old\n${T(5)} new\n`))
    expect((await next).value).toMatchObject({ line: 'new', slot: 0 })
    fake.containers.push(container('c9', 9))
    const started = items.next()
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(fake.asked.at(-1)).toMatchObject({ id: 'c9', follow: true })
    expect(fake.asked.at(-1)?.since).toBeUndefined()
    fake.live.get('c9')?.write(frame(2, `${T(6)} first line of a new replica\n`))
    expect((await started).value).toMatchObject({ slot: 9, stream: 'stderr', line: 'first line of a new replica' })
    controller.abort()
    await items.return(undefined)
  })
})
