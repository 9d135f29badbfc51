// Issue 18 on three real nodes, one cluster for the file. Autoscaling from the mesh's own
// numbers (acceptance 1–3): new connections per second through the mesh, CPU under a
// limit, and a service at zero woken by its first connection. Then alerts (acceptance 4):
// a webhook receiver on 127.0.0.85 gets exactly one firing notification when a node is
// SIGKILLed (`node.dead`) and exactly one resolved when it comes back — once for a node
// that is not the rule's coordinator, once for the coordinator itself (the rule moves to
// a survivor and back).

import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, BIN, cleanupAll, IMAGE, killDaemon, tokenOf, waitFor } from '../../support/daemon.ts'
import { startCluster, waitForMembers } from '../../support/cluster.ts'
import type { ClusterNode } from '../../support/cluster.ts'
import { get, pacedLoad } from '../../support/mesh.ts'

const HOSTS = ['127.0.0.67', '127.0.0.68', '127.0.0.69']
const RECEIVER = '127.0.0.85'
const NAMES = ['test-as-1', 'test-as-2', 'test-as-3']
const ALL_ALIVE = Object.fromEntries(NAMES.map((n) => [n, 'alive']))

const WEB_PORT = 18670
const IDLE_PORT = 18672

interface Decision { at: number, from: number, to: number, reason: string }
interface View {
  spec: { replicas: number }
  replicas: Array<{ state: string, node: string }>
  autoscale?: { desired: number, metrics: Record<string, number>, lastDecision?: Decision, decisions: Decision[], coordinator: string }
}

function httpd (name: string, port: number, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    name,
    image: IMAGE,
    command: ['sh', '-c', 'echo -n ok > /www/id; exec httpd -f -p 8080 -h /www'],
    ports: [{ published: port, target: 8080 }],
    health: { type: 'tcp', interval: '200ms', retries: 2 },
    ...extra
  }
}

interface Received { status: string, node: string | undefined, fingerprint: string, from: string | undefined, auth: string | undefined, at: number }

describe('autoscaling and alerts on three real nodes', () => {
  let nodes: ClusterNode[]
  const view = async (name: string): Promise<View> => (await api<View>(nodes[0]!.api, 'GET', `/v1/services/${name}`)).body
  const healthy = (v: View): number => v.replicas.filter((r) => r.state === 'healthy').length
  const received: Received[] = []
  const receiver = createServer((req, res) => {
    let text = ''
    req.on('data', (chunk: Buffer) => { text += chunk.toString() })
    req.on('end', () => {
      const body = JSON.parse(text) as { version: string, status: string, alerts: Array<{ labels: Record<string, string>, fingerprint: string }> }
      expect(body.version).toBe('4')
      received.push({ status: body.status, node: body.alerts[0]?.labels.node, fingerprint: body.alerts[0]?.fingerprint ?? '', from: req.socket.remoteAddress, auth: req.headers.authorization, at: Date.now() })
      res.end('ok')
    })
  })

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, RECEIVER, resolve))
    nodes = await startCluster('test-as', HOSTS)
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, ALL_ALIVE) }))
    const deploy = async (spec: Record<string, unknown>): Promise<void> => {
      const { status, body } = await api(nodes[0]!.api, 'PUT', `/v1/services/${spec.name as string}`, spec)
      expect(status, JSON.stringify(body)).toBe(201)
    }
    await deploy(httpd('web', WEB_PORT, { autoscale: { min: 1, max: 5, requestsPerSecond: 50, scaleDown: { window: '20s' } } }))
    // Burns its whole 0.2-CPU limit from the start: it scales up while the first test runs.
    await deploy({ name: 'burner', image: IMAGE, command: ['sh', '-c', 'while :; do :; done'], resources: { limits: { cpus: 0.2 } }, autoscale: { min: 1, max: 2, cpu: 50 } })
    await deploy(httpd('idle', IDLE_PORT, { replicas: 0, autoscale: { min: 0, max: 2, requestsPerSecond: 50, scaleDown: { window: '1m' } } }))
    await waitFor(async () => healthy(await view('web')) === 1, { timeoutMs: 30_000, what: 'web to run 1 healthy replica' })
    await waitFor(async () => (await get(HOSTS[0]!, WEB_PORT, '/id')).ok, { what: 'the mesh to serve web' })
    // With credentials: sealed in the document by node 1, opened by whichever node posts.
    const hook = `http://meshd:pa55@${RECEIVER}:${(receiver.address() as AddressInfo).port}/hook`
    const rule = await api(nodes[0]!.api, 'PUT', '/v1/alerts/down', { when: 'node.dead', notify: { webhook: hook } })
    expect(rule.status).toBe(201)
    expect(JSON.stringify(rule.body)).not.toContain('pa55')
  }, 90_000)
  afterAll(async () => {
    await cleanupAll()
    await new Promise((resolve) => receiver.close(resolve))
  })

  it('scales web to ≥ 4 replicas under ~200 new connections per second, and back to 1 after its 20 s scale-down window', async () => {
    expect((await api(nodes[1]!.api, 'POST', '/v1/services/web/scale', { replicas: 3 })).status).toBe(409)
    const began = Date.now()
    // At most 200 in flight: 1,500 left thousands of sockets waiting on the one replica and
    // slowed node 1's mesh itself (a decision after 21 s, beside the other lane). A GET given up
    // after 1 s of silence frees its place, so the 200 new connections a second keep coming
    // while the one replica is swamped (with 5 s, a loaded CI offered only 97/s and 3 was right).
    const load = pacedLoad(HOSTS[0]!, WEB_PORT, 200, '/id', () => {}, 200, 1000)
    let scaled = 0
    let serving = 0
    try {
      await waitFor(async () => (await view('web')).spec.replicas >= 4 || undefined, { timeoutMs: 30_000, intervalMs: 100, what: 'web to be scaled to ≥ 4' })
      scaled = Date.now() - began
      await waitFor(async () => healthy(await view('web')) >= 4 || undefined, { timeoutMs: 30_000, intervalMs: 100, what: '≥ 4 healthy replicas of web' })
      serving = Date.now() - began
    } finally {
      const result = await load.stop()
      const early = result.failedAt.filter((at) => serving === 0 || at < began + serving).length
      console.log(`load: ${result.sent} GETs at ${result.perSecond}/s, ${result.ok} answered; failures: ${JSON.stringify(result.errors)}, ${early} of them sent before ≥ 4 replicas were healthy`)
      const v = await view('web')
      console.log(`web: ${v.spec.replicas} wanted, ${JSON.stringify(v.replicas)}; ${JSON.stringify(v.autoscale)}`)
    }
    console.log(`load start → decided ≥ 4: ${scaled} ms; → ≥ 4 healthy: ${serving} ms`)
    expect(serving).toBeLessThanOrEqual(30_000)
    const stopped = Date.now()
    await waitFor(async () => (await view('web')).spec.replicas === 1 || undefined, { timeoutMs: 45_000, intervalMs: 250, what: 'web back to 1' })
    console.log(`load stop → back to 1: ${Date.now() - stopped} ms`)
    // Every node shows the same decisions.
    const shown = await Promise.all(nodes.map(async (n) => (await api<View>(n.api, 'GET', '/v1/services/web')).body.autoscale?.lastDecision?.to))
    expect(shown).toEqual([1, 1, 1])
    const { decisions, coordinator } = (await view('web')).autoscale!
    expect(NAMES).toContain(coordinator)
    console.log(`decisions of web's coordinator, ${coordinator}:`)
    for (const d of decisions) console.log(`  ${new Date(d.at).toISOString()} ${d.from} → ${d.to}: ${d.reason}`)
    expect(decisions.some((d) => d.to >= 4 && d.reason.includes('requestsPerSecond'))).toBe(true)
    expect(decisions.at(-1)).toMatchObject({ to: 1 })
    expect(decisions.at(-1)!.reason).toContain('20s scale-down window')
  })

  it('scales a replica burning its 0.2-CPU limit with a cpu target of 50 %', async () => {
    const v = await waitFor(async () => { const b = await view('burner'); return b.spec.replicas >= 2 ? b : undefined }, { timeoutMs: 30_000, intervalMs: 250, what: 'burner to be scaled up' })
    const reason = v.autoscale!.lastDecision!.reason
    console.log(`burner: ${reason}`)
    // Decided on its CPU above the target (the figures since may be lower: two replicas share the machine's cores).
    expect(Number(/^cpu ([\d.]+)% per replica/.exec(reason)?.[1])).toBeGreaterThan(50)
    await api(nodes[0]!.api, 'DELETE', '/v1/services/burner')
  })

  it('wakes a service at zero: the first request waits for its replica and succeeds', async () => {
    expect((await view('idle')).spec.replicas).toBe(0)
    const began = Date.now()
    const answer = await get(HOSTS[1]!, IDLE_PORT, '/id', 35_000)
    const waited = Date.now() - began
    console.log(`first request to a service at zero: answered after ${waited} ms (${answer.ok ? 'ok' : answer.error})`)
    expect(answer).toMatchObject({ ok: true, body: 'ok' })
    expect((await view('idle')).autoscale!.lastDecision).toMatchObject({ from: 0, to: 1 })
    expect((await view('idle')).autoscale!.lastDecision!.reason).toContain('a connection waits for a replica')
  })

  const coordinator = async (via: ClusterNode): Promise<string> => (await api<{ coordinator: string }>(via.api, 'GET', '/v1/alerts/down')).body.coordinator
  const byName = (name: string): number => nodes.findIndex((n) => n.name === name)

  /** Kills node `index`, waits for its firing, restarts it, waits for its resolved; checks nothing came twice. */
  async function killAndReturn (index: number): Promise<void> {
    const victim = nodes[index]!
    const before = received.length
    const killed = Date.now()
    await killDaemon(victim, 'SIGKILL')
    const firing = await waitFor(() => received.length > before ? received[before] : undefined, { timeoutMs: 30_000, what: 'a firing notification' })
    expect(firing).toMatchObject({ status: 'firing', node: victim.name })
    expect(HOSTS).toContain(firing.from) // posted from a node's own address
    expect(firing.auth).toBe(`Basic ${Buffer.from('meshd:pa55').toString('base64')}`)
    console.log(`${victim.name} SIGKILLed → firing received in ${firing.at - killed} ms`)
    nodes[index] = await victim.restart()
    const back = Date.now()
    const resolved = await waitFor(() => received.length > before + 1 ? received[before + 1] : undefined, { timeoutMs: 30_000, what: 'a resolved notification' })
    expect(resolved).toMatchObject({ status: 'resolved', node: victim.name, fingerprint: firing.fingerprint })
    console.log(`${victim.name} restarted → resolved received in ${resolved.at - back} ms`)
    // A second sender would post within a tick and a settle of the first (2 s + 1 s).
    await new Promise((resolve) => setTimeout(resolve, 3500))
    expect(received.slice(before).map((r) => r.status)).toEqual(['firing', 'resolved'])
  }

  it('fires once and resolves once when a node that is not the coordinator dies and returns', async () => {
    const first = await coordinator(nodes[0]!)
    const victim = [0, 1, 2].find((i) => nodes[i]!.name !== first)!
    await killAndReturn(victim)
  }, 90_000)

  it('fires once and resolves once when the coordinator itself dies and returns', async () => {
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, ALL_ALIVE) }))
    const victim = byName(await coordinator(nodes[0]!))
    const survivor = nodes[(victim + 1) % 3]!
    await killAndReturn(victim)
    const view = (await api<{ state: string, lastNotice: { status: string, phase: string } }>(survivor.api, 'GET', '/v1/alerts/down')).body
    expect(view).toMatchObject({ state: 'inactive', lastNotice: { status: 'resolved', phase: 'sent' } })
  }, 90_000)

  it('sets, lists and removes rules with `meshd alert`, the credentials read from a file and never shown', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshd-alert-'))
    try {
      const file = join(dir, 'hook.url')
      writeFileSync(file, `http://ops:hunter2@${RECEIVER}:1/other\n`, { mode: 0o600 })
      const env = { ...process.env, MESHD_API: nodes[1]!.api, MESHD_TOKEN: tokenOf(nodes[1]!) }
      const meshd = (...args: string[]): string => execFileSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env })
      expect(meshd('alert', 'set', 'short', '--when', 'service.healthy < service.desired service=web', '--for', '30s', '--webhook-file', file)).not.toContain('hunter2')
      const listed = JSON.parse(meshd('alert', 'ls', '--json')) as Array<{ name: string, for?: string, notify: { webhook: string } }>
      expect(listed.map((a) => a.name)).toEqual(['down', 'short'])
      expect(listed[1]).toMatchObject({ for: '30s', notify: { webhook: `http://redacted@${RECEIVER}:1/other` } })
      expect(JSON.parse(meshd('alert', 'rm', 'short', '--json'))).toEqual({ deleted: 'short' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
