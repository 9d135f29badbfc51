// Issue 17, logs: `meshd service logs` through node 1 shows the lines of every replica
// on every node in time order, follows new lines, and reports a node that does not
// answer (stopped) or is gone (SIGKILL) within 3 s instead of hanging. The web service
// prints "line N from HOSTNAME" every second on each replica.

import { execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'
import { api, BIN, killDaemon, tokenOf, waitFor } from '../../support/daemon.ts'
import type { ClusterNode } from '../../support/cluster.ts'
import type { ObserveContext } from './context.ts'

const run = promisify(execFile)

interface Line { time?: string, service: string, slot: number, node: string, stream: string, line: string }

/** `meshd ARGS` against `node`'s API with its admin token; stdout, stderr and how long it took. */
async function meshd (node: ClusterNode, args: string[]): Promise<{ stdout: string, stderr: string, ms: number }> {
  const started = performance.now()
  const { stdout, stderr } = await run(process.execPath, [BIN, ...args, '--api', node.api, '--data-dir', node.dataDir], { timeout: 30_000 })
  return { stdout, stderr, ms: Math.round(performance.now() - started) }
}

/** GET the logs route (the whole answer); its lines, the unreachable members and how long it took. */
async function logsOf (node: ClusterNode, query: string, token = tokenOf(node)): Promise<{ status: number, lines: Line[], unreachable: string[], ms: number, body: string }> {
  const started = performance.now()
  const response = await fetch(`${node.api}/v1/services/web/logs?${query}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(20_000) })
  const body = await response.text()
  const ms = Math.round(performance.now() - started)
  if (response.status !== 200) return { status: response.status, lines: [], unreachable: [], ms, body }
  const items = body.split('\n').filter((text) => text !== '').map((text) => JSON.parse(text) as Line | { unreachable: string[] })
  const last = items.at(-1)
  expect(last !== undefined && 'unreachable' in last, 'the answer ends with the unreachable members').toBe(true)
  return { status: 200, lines: items.filter((item): item is Line => 'line' in item), unreachable: (last as { unreachable: string[] }).unreachable, ms, body }
}

const PREFIXED = /^web\.(\d+)@(\S+) \| (.*)$/

export function logsSuite (ctx: ObserveContext): void {
  const names = (): string[] => ctx.nodes().map((node) => node.name)

  it('logs: `meshd service logs web --tail 5` via node 1 shows lines of all 3 replicas on 3 nodes, in time order', async () => {
    const node = ctx.nodes()[0]!
    const { stdout, stderr } = await meshd(node, ['service', 'logs', 'web', '--tail', '5'])
    const lines = stdout.trim().split('\n')
    expect(lines.every((line) => PREFIXED.test(line)), stdout).toBe(true)
    const seen = lines.map((line) => PREFIXED.exec(line)!)
    expect(new Set(seen.map((match) => match[2]))).toEqual(new Set(names()))
    expect(new Set(seen.map((match) => match[1]))).toEqual(new Set(['0', '1', '2']))
    expect(lines.length).toBeLessThanOrEqual(15)
    expect(seen.every((match) => /^line \d+ from \S+$/.test(match[3]!))).toBe(true)
    expect(stderr).toBe('')
    // The same with Docker's times (the API the CLI reads): in time order across nodes.
    const timed = await logsOf(node, 'tail=5&timestamps=1')
    const times = timed.lines.map((line) => line.time!)
    expect(new Set(timed.lines.map((line) => line.node))).toEqual(new Set(names()))
    expect(times).toEqual([...times].sort())
    expect(timed.unreachable).toEqual([])
  })

  it('logs: a viewer may read them; a bad query value is refused naming its field', async () => {
    const node = ctx.nodes()[0]!
    const created = await api(node.api, 'POST', '/v1/tokens', { name: 'logs-viewer', role: 'viewer' })
    expect(created.status).toBe(201)
    const viewer = await logsOf(node, 'tail=1&since=10m', created.body.token as string)
    expect(viewer.status).toBe(200)
    expect(new Set(viewer.lines.map((line) => line.node))).toEqual(new Set(names()))
    expect(viewer.lines.every((line) => line.time === undefined)).toBe(true)
    for (const [query, field] of [['tail=-1', 'tail'], ['since=yesterday', 'since'], ['follow=yes', 'follow'], ['lines=5', 'lines']] as const) {
      const refused = await logsOf(node, query)
      expect(refused.status, query).toBe(400)
      expect(JSON.parse(refused.body).error.path, query).toBe(field)
    }
    expect((await api(node.api, 'GET', '/v1/services/nope/logs')).status).toBe(404)
  })

  it('logs: `-f` shows new lines of every replica on every node as they are written', async () => {
    const node = ctx.nodes()[0]!
    const startedAt = Date.now()
    const follow = following(node)
    try {
      const perNode = (): Map<string, Line[]> => {
        const byNode = new Map<string, Line[]>()
        for (const line of follow.lines()) byNode.set(line.node, [...byNode.get(line.node) ?? [], line])
        return byNode
      }
      await waitFor(() => {
        if (names().every((name) => (perNode().get(name)?.length ?? 0) >= 2)) return true
        // What it has so far, for the next look at a failure.
        throw new Error(`lines per node ${JSON.stringify(names().map((name) => [name, perNode().get(name)?.length ?? 0]))}; stderr ${JSON.stringify(follow.stderr().slice(-300))}`)
      }, { timeoutMs: 20_000, what: 'two new lines from each node' })
      for (const lines of perNode().values()) {
        // New lines only (--tail 0): written after the command started (one machine, one clock).
        expect(lines.every((line) => Date.parse(line.time!) >= startedAt - 1000)).toBe(true)
      }
      const times = follow.lines().map((line) => line.time!)
      console.log(`logs -f: ${times.length} lines followed, ${times.filter((time, i) => i > 0 && time < times[i - 1]!).length} out of time order`)
    } finally {
      follow.stop()
    }
  })

  it('logs: a node that does not answer, or is SIGKILLed, is reported unreachable within 3 s; the others\' lines still come; -f picks it up again once restarted', async () => {
    const [first, , third] = ctx.nodes()
    const follow = following(first!)
    try {
      await killAndRestart(follow)
      // Its replica kept running: the follow asks the restarted node again and its lines come back.
      const restartedAt = Date.now()
      await waitFor(() => follow.lines().some((line) => line.node === third!.name && Date.parse(line.time!) > restartedAt), { timeoutMs: 20_000, what: `new lines of ${third!.name}, followed` })
    } finally {
      follow.stop()
    }
  }, 120_000)

  async function killAndRestart (follow: ReturnType<typeof following>): Promise<void> {
    const [first, , third] = ctx.nodes()
    try {
      await waitFor(() => names().every((name) => follow.lines().some((line) => line.node === name)), { timeoutMs: 20_000, what: 'lines from every node, followed' })
      // Stopped: its port accepts, nothing answers (the hang Swarm's logs fall into).
      process.kill(third!.child.pid!, 'SIGSTOP')
      const stopped = await logsOf(first!, 'tail=2').finally(() => { process.kill(third!.child.pid!, 'SIGCONT') })
      expect(stopped.unreachable).toEqual([third!.name])
      expect(new Set(stopped.lines.map((line) => line.node))).toEqual(new Set(names().slice(0, 2)))
      expect(stopped.ms).toBeLessThan(6000)
      console.log(`logs with ${third!.name} stopped: answered in ${stopped.ms} ms`)

      await killDaemon(third!, 'SIGKILL')
      const cli = await meshd(first!, ['service', 'logs', 'web', '--tail', '5'])
      expect(cli.stderr).toContain(`${third!.name}: unreachable`)
      const lines = cli.stdout.trim().split('\n').map((line) => PREFIXED.exec(line)?.[2])
      expect(new Set(lines)).toEqual(new Set(names().slice(0, 2)))
      const killed = await logsOf(first!, 'tail=5')
      expect(killed.unreachable).toEqual([third!.name])
      console.log(`logs with ${third!.name} killed: API answered in ${killed.ms} ms, the CLI in ${cli.ms} ms`)
      expect(killed.ms).toBeLessThan(6000)
      await waitFor(() => follow.stderr().includes(`${third!.name}: unreachable`), { timeoutMs: 10_000, what: 'the follow to report the killed node' })
    } finally {
      await ctx.restart(2)
    }
  }
}

/** `meshd service logs web -f --tail 0 --json --timestamps` through `node`, running until stop(). */
function following (node: ClusterNode): { lines: () => Line[], stderr: () => string, stop: () => void } {
  const child = spawn(process.execPath, [BIN, 'service', 'logs', 'web', '-f', '--tail', '0', '--json', '--timestamps', '--api', node.api, '--data-dir', node.dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  return {
    lines: () => stdout.split('\n').filter((text) => text.startsWith('{"time"')).map((text) => JSON.parse(text) as Line),
    stderr: () => stderr,
    stop: () => { child.kill('SIGTERM') }
  }
}
