// One real daemon on a real Docker Engine: replicas, health, failure replacement,
// scaling, deletion and adoption after a crash (issue 2, acceptance 2–6).

import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, cleanupAll, containersOf, httpGet, IMAGE, killDaemon, startDaemon, tempDataDir, waitFor } from '../../support/daemon.ts'
import type { TestDaemon } from '../../support/daemon.ts'

const NODE = 'test-one'
const HOST = '127.0.0.21'

interface Replica { slot: number, state: string, generation: number, container: string, endpoint: string, error?: string, lastFailure?: { container: string, state: string, error: string } }
interface View { spec: { name: string, replicas: number }, generation: number, replicas: Replica[], status: { desired: number, healthy: number, updated: number } }

const httpd = (name: string, replicas: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  image: IMAGE,
  command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
  replicas,
  ports: [{ published: 18080, target: 8080 }],
  health: { type: 'tcp', interval: '200ms', timeout: '500ms', retries: 2 },
  ...extra
})

async function view (daemon: TestDaemon, name: string): Promise<View> {
  const { status, body } = await api<View>(daemon.api, 'GET', `/v1/services/${name}`)
  if (status !== 200) throw new Error(`GET ${name}: ${status} ${JSON.stringify(body)}`)
  return body
}

/** Waits until exactly `replicas` replicas are healthy on the current generation and no others remain. */
async function converged (daemon: TestDaemon, name: string, replicas: number): Promise<View> {
  return await waitFor(async () => {
    const v = await view(daemon, name)
    const running = containersOf(NODE, name).length
    return v.status.updated === replicas && v.replicas.length === replicas && running === replicas ? v : undefined
  }, { timeoutMs: 30_000, what: `${name} to converge on ${replicas} healthy replicas` })
}

describe('meshd on one node', () => {
  let daemon: TestDaemon
  let dataDir: string

  beforeAll(async () => {
    dataDir = tempDataDir()
    daemon = await startDaemon({ name: NODE, host: HOST, dataDir })
  })
  afterAll(cleanupAll)

  it('answers health with its id and name', async () => {
    const { status, body } = await api(daemon.api, 'GET', '/v1/health')
    expect(status).toBe(200)
    expect(body.ok).toBe(true)
    expect(body.node.name).toBe(NODE)
    expect(body.node.id).toMatch(/^12D3Koo/)
  })

  it('runs 3 healthy httpd replicas whose endpoints answer HTTP', async () => {
    const created = await api<View>(daemon.api, 'PUT', '/v1/services/web', httpd('web', 3))
    expect(created.status).toBe(201)
    expect(created.body.generation).toBe(1)
    const v = await converged(daemon, 'web', 3)
    expect(v.replicas.map((r) => r.slot)).toEqual([0, 1, 2])
    for (const replica of v.replicas) {
      // On the node's replica network (10.208.0.0/12 unless given), never published on HOST.
      expect(replica.endpoint).toMatch(/^10\.2(0[89]|1\d|2[0-3])\.\d+\.\d+:8080$/)
      expect(await httpGet(`http://${replica.endpoint}/`)).toContain('hello from meshd')
    }
    const again = await api<View>(daemon.api, 'PUT', '/v1/services/web', httpd('web', 3))
    expect(again.status).toBe(200)
    expect(again.body.generation).toBe(1)
  })

  it('replaces a killed replica and leaves the others untouched', async () => {
    const before = await converged(daemon, 'web', 3)
    const victim = before.replicas[1]!
    const others = before.replicas.filter((r) => r.slot !== 1).map((r) => r.container)
    const killedAt = Date.now()
    execFileSync('docker', ['kill', victim.container], { stdio: 'ignore' })
    const after = await waitFor(async () => {
      const v = await view(daemon, 'web')
      const slot1 = v.replicas.find((r) => r.slot === 1)
      return slot1 !== undefined && slot1.container !== victim.container && slot1.state === 'healthy' ? v : undefined
    }, { what: 'a healthy replacement for slot 1' })
    console.log(`docker kill → replacement healthy: ${Date.now() - killedAt} ms`)
    expect(after.replicas.filter((r) => r.slot !== 1).map((r) => r.container)).toEqual(others)
    await converged(daemon, 'web', 3)
  })

  it('marks a replica whose health check fails unhealthy and replaces it', async () => {
    const spec = {
      name: 'checked',
      image: IMAGE,
      command: ['sh', '-c', 'touch /tmp/ok; exec httpd -f -p 8080 -h /www'],
      replicas: 1,
      ports: [{ published: 18081, target: 8080 }],
      health: { type: 'cmd', cmd: ['sh', '-c', 'test -f /tmp/ok'], interval: '200ms', timeout: '1s', retries: 2 }
    }
    expect((await api(daemon.api, 'PUT', '/v1/services/checked', spec)).status).toBe(201)
    const first = (await converged(daemon, 'checked', 1)).replicas[0]!
    execFileSync('docker', ['exec', first.container, 'rm', '/tmp/ok'])
    const replaced = await waitFor(async () => {
      const r = (await view(daemon, 'checked')).replicas[0]
      return r !== undefined && r.container !== first.container && r.state === 'healthy' ? r : undefined
    }, { what: 'the unhealthy replica to be replaced' })
    expect(replaced.lastFailure).toMatchObject({ container: first.container, state: 'unhealthy' })
    expect(replaced.lastFailure?.error).toMatch(/health check failed/)
    await waitFor(() => containersOf(NODE, 'checked').join() === replaced.container, { what: 'the unhealthy container to be removed' })
  })

  it('scales 3 → 5 → 1 → 0 → 2 and converges each time', async () => {
    for (const replicas of [5, 1, 0, 2]) {
      const scaled = await api<View>(daemon.api, 'POST', '/v1/services/web/scale', { replicas })
      expect(scaled.status).toBe(200)
      expect(scaled.body.spec.replicas).toBe(replicas)
      expect(scaled.body.generation).toBe(1)
      await converged(daemon, 'web', replicas)
    }
  })

  it('deletes a service and leaves no labelled container', async () => {
    expect((await api(daemon.api, 'DELETE', '/v1/services/checked')).status).toBe(200)
    expect((await api(daemon.api, 'GET', '/v1/services/checked')).status).toBe(404)
    await waitFor(() => containersOf(NODE, 'checked').length === 0, { what: 'the containers of "checked" to go' })
    await waitFor(async () => (await api<unknown[]>(daemon.api, 'GET', '/v1/replicas?service=checked')).body.length === 0, { what: 'replica records to go' })
  })

  it('adopts its containers after SIGKILL and keeps deleted services deleted', async () => {
    expect((await api(daemon.api, 'PUT', '/v1/services/doomed', { ...httpd('doomed', 1), ports: [{ published: 18082, target: 8080 }] })).status).toBe(201)
    await converged(daemon, 'doomed', 1)
    expect((await api(daemon.api, 'DELETE', '/v1/services/doomed')).status).toBe(200)
    const before = (await converged(daemon, 'web', 2)).replicas.map((r) => r.container).sort()
    await waitFor(() => containersOf(NODE, 'doomed').length === 0, { what: 'doomed to go' })

    expect(await killDaemon(daemon, 'SIGKILL')).toBe(null)
    expect(containersOf(NODE, 'web')).toEqual(before)
    daemon = await startDaemon({ name: NODE, host: HOST, dataDir })

    const after = await converged(daemon, 'web', 2)
    expect(after.replicas.map((r) => r.container).sort()).toEqual(before)
    expect(containersOf(NODE)).toEqual(before)
    expect((await api(daemon.api, 'GET', '/v1/services/doomed')).status).toBe(404)
    expect((await api<View[]>(daemon.api, 'GET', '/v1/services')).body.map((s) => s.spec.name)).toEqual(['web'])
  })

  it('stops cleanly on SIGTERM and leaves its containers running', async () => {
    const before = containersOf(NODE, 'web')
    expect(await killDaemon(daemon, 'SIGTERM')).toBe(0)
    expect(containersOf(NODE, 'web')).toEqual(before)
    daemon = await startDaemon({ name: NODE, host: HOST, dataDir })
    expect((await converged(daemon, 'web', 2)).replicas.map((r) => r.container).sort()).toEqual(before)
  })
})
