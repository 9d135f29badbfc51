// Alerts across three real nodes (issue 18, acceptance 4): a webhook receiver on
// 127.0.0.85 gets exactly one firing notification when a node is SIGKILLed (`node.dead`)
// and exactly one resolved when it comes back — once for a node that is not the rule's
// coordinator, once for the coordinator itself (the rule moves to a survivor and back).

import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, BIN, cleanupAll, killDaemon, tokenOf, waitFor } from '../../support/daemon.ts'
import { startCluster, waitForMembers } from '../../support/cluster.ts'
import type { ClusterNode } from '../../support/cluster.ts'

const HOSTS = ['127.0.0.78', '127.0.0.79', '127.0.0.80']
const RECEIVER = '127.0.0.85'
const NAMES = ['test-al-1', 'test-al-2', 'test-al-3']
const ALL_ALIVE = Object.fromEntries(NAMES.map((n) => [n, 'alive']))

interface Received { status: string, node: string | undefined, fingerprint: string, from: string | undefined, auth: string | undefined, at: number }

describe('alerts, evaluated once cluster-wide', () => {
  let nodes: ClusterNode[]
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
    nodes = await startCluster('test-al', HOSTS)
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, ALL_ALIVE) }))
    // With credentials: sealed in the document by node 1, opened by whichever node posts.
    const hook = `http://meshd:pa55@${RECEIVER}:${(receiver.address() as AddressInfo).port}/hook`
    const put = await api(nodes[0]!.api, 'PUT', '/v1/alerts/down', { when: 'node.dead', notify: { webhook: hook } })
    expect(put.status).toBe(201)
    expect(JSON.stringify(put.body)).not.toContain('pa55')
  }, 60_000)
  afterAll(async () => {
    await cleanupAll()
    await new Promise((resolve) => receiver.close(resolve))
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
