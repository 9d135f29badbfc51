// Issue 17, acceptance 3: `meshd events --json`, spawned and following from node 1,
// shows in order the events of a deploy (a new service), a scale, a replica killed
// (docker kill) and replaced, a node killed (SIGKILL node 3: member.dead) and its
// replicas moved; node 3 is reported unreachable, and once restarted its events flow
// again (re-subscribed).

import { execFileSync, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import type { ChildProcess } from 'node:child_process'
import { expect, it } from 'vitest'
import { api, BIN, containersOf, IMAGE, killDaemon, tokenOf, waitFor } from '../../support/daemon.ts'
import type { ObserveContext } from './context.ts'

const SERVICE = 'evt'

interface Line { kind: string, node?: string, service?: string, slot?: number, member?: string, exitCode?: number, from?: string, time?: number }

/** `meshd events --json` against `base`, its lines collected as they come. */
function follow (base: string, token: string, since: number): { lines: Line[], child: ChildProcess, output: () => string } {
  const child = spawn(process.execPath, [BIN, 'events', '--json', '--api', base, '--since', new Date(since).toISOString()], {
    env: { ...process.env, MESHD_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe']
  })
  const lines: Line[] = []
  let buffer = ''
  let errors = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString()
    const parts = buffer.split('\n')
    buffer = parts.pop() ?? ''
    for (const part of parts) if (part !== '') lines.push(JSON.parse(part) as Line)
  })
  child.stderr?.on('data', (chunk: Buffer) => { errors += chunk.toString() })
  return { lines, child, output: () => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n${errors}` }
}

export function eventsSuite (ctx: ObserveContext): void {
  it('meshd events shows, in order, a deploy, a scale, a replica killed and replaced, a node killed and its replicas moved', async () => {
    const [first, , third] = ctx.nodes()
    const [name1, , name3] = ctx.nodes().map((n) => n.name)
    const since = Date.now()
    const events = follow(first!.api, tokenOf(first!), since)
    const index = (match: (l: Line) => boolean, after = -1): number => events.lines.findIndex((l, i) => i > after && match(l))
    const seen = async (what: string, match: (l: Line) => boolean, after = -1, timeoutMs = 30_000): Promise<number> =>
      await waitFor(async () => { const i = index(match, after); return i < 0 ? undefined : i }, { timeoutMs, intervalMs: 100, what: `${what} in meshd events:\n${events.output()}` })
    let restarted = false
    try {
      // A deploy: three replicas, one per node (spread), so one runs on node 3.
      const spec = { name: SERVICE, image: IMAGE, command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'], replicas: 3 }
      expect((await api(first!.api, 'PUT', `/v1/services/${SERVICE}`, spec)).status).toBe(201)
      const deployed = await seen('service.deployed', (l) => l.kind === 'service.deployed' && l.service === SERVICE)
      await waitFor(async () => (await api(first!.api, 'GET', `/v1/services/${SERVICE}`)).body.status.healthy === 3, { timeoutMs: 30_000, what: `${SERVICE} healthy` })

      // A scale.
      expect((await api(first!.api, 'POST', `/v1/services/${SERVICE}/scale`, { replicas: 4 })).status).toBe(200)
      const scaled = await seen('service.scaled', (l) => l.kind === 'service.scaled' && l.service === SERVICE, deployed)
      await waitFor(async () => (await api(first!.api, 'GET', `/v1/services/${SERVICE}`)).body.status.healthy === 4, { timeoutMs: 30_000, what: `${SERVICE} scaled` })

      // A replica killed on node 1, and replaced there.
      const victim = containersOf(name1!, SERVICE)[0]!
      execFileSync('docker', ['kill', victim], { stdio: 'ignore' })
      const failed = await seen('replica.failed (137)', (l) => l.kind === 'replica.failed' && l.service === SERVICE && l.node === name1 && l.exitCode === 137, scaled)
      const slot = events.lines[failed]!.slot
      const replaced = await seen('the replacement started', (l) => l.kind === 'replica.started' && l.service === SERVICE && l.node === name1 && l.slot === slot, failed)

      // Node 3 killed: dead, its replicas moved to the others, and it is reported unreachable.
      const onThird = (await api(first!.api, 'GET', `/v1/services/${SERVICE}`)).body.replicas.filter((r: { node: string }) => r.node === name3).length
      expect(onThird).toBeGreaterThan(0)
      await killDaemon(third!)
      const dead = await seen('member.dead', (l) => l.kind === 'member.dead' && l.member === name3, replaced)
      await seen('replica.moved', (l) => l.kind === 'replica.moved' && l.service === SERVICE && l.from === name3, dead)
      await seen(`${name3} unreachable`, (l) => l.kind === 'meshd.unreachable' && l.node === name3, replaced)
      // member.dead once, however many nodes saw it.
      expect(events.lines.filter((l) => l.kind === 'member.dead' && l.member === name3)).toHaveLength(1)

      // Back again: its own events flow to the stream once more.
      const back = events.lines.length - 1
      await ctx.restart(2)
      restarted = true
      await seen(`events of ${name3} after its restart`, (l) => l.node === name3, back)
      expect(events.child.exitCode).toBeNull()
    } finally {
      // OBSERVE_EVENTS_DUMP=FILE keeps what meshd events printed, to read after the run.
      if (process.env.OBSERVE_EVENTS_DUMP !== undefined) writeFileSync(process.env.OBSERVE_EVENTS_DUMP, events.output())
      events.child.kill('SIGINT')
      if (!restarted && ctx.nodes()[2]!.child.exitCode !== null) await ctx.restart(2)
      await api(first!.api, 'DELETE', `/v1/services/${SERVICE}`)
    }
    const code = await new Promise((resolve) => { if (events.child.exitCode !== null) resolve(events.child.exitCode); else events.child.once('exit', resolve) })
    expect(code).toBe(0)
  }, 120_000)
}
