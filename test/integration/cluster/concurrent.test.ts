// Concurrent writes and enforced limits (issue 12) on real nodes: two PUTs of different
// specs at the same moment on two nodes converge to one spec, and no container of the
// losing spec keeps running; a stale If-Match is refused; resources.limits are cgroup
// limits, and a replica past its memory limit is killed and restarted by policy.

import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, cleanupAll, containersOf, IMAGE, waitFor } from '../../support/daemon.ts'
import { startCluster, waitForMembers } from '../../support/cluster.ts'
import type { ClusterNode } from '../../support/cluster.ts'

const HOSTS = ['127.0.0.195', '127.0.0.196']
const NAMES = ['test-race-1', 'test-race-2']
const execFileAsync = promisify(execFile)
/** The services that race, each on its own published port. */
const SERVICES = ['race', 'rival', 'third', 'fourth']

interface View { version: string, generation: number, rollout?: { phase: string, reason?: string, generation: number, rollback: boolean }, spec: { env: { V: string } }, replicas: Array<{ state: string, generation: number, node: string }> }

const spec = (v: string, name = 'race'): Record<string, unknown> => ({
  name, image: IMAGE, command: ['httpd', '-f', '-p', '8080', '-h', '/www'], env: { V: v }, replicas: 2,
  ports: [{ published: 18220 + SERVICES.indexOf(name), target: 8080 }], health: { type: 'tcp', interval: '200ms', retries: 3 },
  // What is under test is which spec wins, not health: a slow probe on a busy machine must not roll it back.
  // Nor the pace of a rollout: both slots at once, stopped at once (httpd as PID 1 ignores SIGTERM).
  update: { parallelism: 2, monitor: '0s', failureAction: 'continue', order: 'stop-first' },
  stopSignal: 'SIGKILL'
})

/** The V each running replica container of `service` was started with, over every node (without blocking the test's event loop). */
async function runningValues (service: string): Promise<string[]> {
  const docker = async (...args: string[]): Promise<string> => (await execFileAsync('docker', args, { encoding: 'utf8' })).stdout
  // Label filters are ANDed: one listing per node.
  const ids = (await Promise.all(NAMES.map(async (node) => await docker('ps', '-q', '--no-trunc', '--filter', `label=meshd.service=${service}`, '--filter', `label=meshd.node=${node}`))))
    .join('\n').split('\n').filter((id) => id !== '')
  if (ids.length === 0) return []
  let text: string
  try {
    text = await docker('inspect', '-f', '{{.State.Status}}|{{json .Config.Env}}', ...ids)
  } catch {
    return ['(a container was removed between the listing and the inspection)']
  }
  return text.split('\n').filter((line) => line !== '').flatMap((line) => {
    const [state, env] = line.split('|')
    if (state !== 'running') return []
    return (JSON.parse(env!) as string[]).filter((e) => e.startsWith('V=')).map((e) => e.slice(2))
  })
}

describe('concurrent writes and limits on two real nodes', () => {
  let nodes: ClusterNode[] = []
  beforeAll(async () => {
    nodes = await startCluster('test-race', HOSTS)
    await waitForMembers(nodes[0]!, { 'test-race-1': 'alive', 'test-race-2': 'alive' })
  }, 60_000)
  afterAll(cleanupAll)

  it('converges two simultaneous PUTs of different specs to one, and runs only that one, 20 times', async () => {
    // Four services race at once, 5 rounds each: 20 races.
    const race = async (service: string): Promise<void> => {
      expect((await api(nodes[0]!.api, 'PUT', `/v1/services/${service}`, spec('start', service))).status).toBe(201)
      for (let round = 0; round < 5; round++) {
        const [a, b] = [`a${round}`, `b${round}`]
        const answers = await Promise.all([api(nodes[0]!.api, 'PUT', `/v1/services/${service}`, spec(a, service)), api(nodes[1]!.api, 'PUT', `/v1/services/${service}`, spec(b, service))])
        expect(answers.map((r) => r.status)).toEqual([200, 200])
        const settled = await waitFor(async () => {
          const views = await Promise.all(nodes.map(async (n) => (await api<View>(n.api, 'GET', `/v1/services/${service}`)).body))
          const [first, second] = views
          if (first === undefined || second === undefined || first.version !== second.version) return undefined
          if (first.replicas.length !== 2 || !first.replicas.every((r) => r.state === 'healthy' && r.generation === first.generation)) return undefined
          const running = await runningValues(service)
          return running.length === 2 && running.every((v) => v === first.spec.env.V) ? { winner: first.spec.env.V, running, rollout: first.rollout, generation: first.generation } : undefined
        }, { timeoutMs: 60_000, intervalMs: 200, what: `${service}, round ${round}: one spec in the document and only its containers running` })
        expect([a, b]).toContain(settled.winner)
      }
    }
    await Promise.all(SERVICES.map(race))
    for (const service of SERVICES.slice(1)) expect((await api(nodes[0]!.api, 'DELETE', `/v1/services/${service}`)).status).toBe(200)
    console.log('20 rounds of simultaneous PUTs on two nodes (four services, 5 each): every time one spec, and only its containers running')
  }, 600_000)

  it('refuses a write with a stale If-Match', async () => {
    const before = (await api<View>(nodes[0]!.api, 'GET', '/v1/services/race')).body
    expect((await api(nodes[0]!.api, 'POST', '/v1/services/race/scale', { replicas: 3 }, undefined, { 'if-match': `"${before.version}"` })).status).toBe(200)
    // If-Match is checked against the node's own view: the other node refuses once the change has reached it.
    const after = (await api<View>(nodes[0]!.api, 'GET', '/v1/services/race')).body.version
    expect(after).not.toBe(before.version)
    await waitFor(async () => (await api<View>(nodes[1]!.api, 'GET', '/v1/services/race')).body.version === after, { what: 'the scale on the other node' })
    const stale = await api(nodes[1]!.api, 'PUT', '/v1/services/race', spec('late'), undefined, { 'if-match': `"${before.version}"` })
    expect(stale.status).toBe(409)
    expect(stale.body.error.code).toBe('MESHD_CONFLICT')
    expect((await api<View>(nodes[1]!.api, 'GET', '/v1/services/race')).body.spec.env.V).not.toBe('late')
  })

  it('enforces resources.limits as cgroup limits, and restarts a replica the OOM killer took', async () => {
    const hog = {
      name: 'hog', image: IMAGE, replicas: 1, resources: { limits: { memory: '64MiB', pids: 64 } },
      // Doubles a string in the shell until the memory limit stops it.
      command: ['sh', '-c', 'sleep 1; x=a; while true; do x=$x$x; done']
    }
    expect((await api(nodes[0]!.api, 'PUT', '/v1/services/hog', hog)).status).toBe(201)
    const first = await waitFor(() => NAMES.flatMap((n) => containersOf(n, 'hog'))[0], { timeoutMs: 30_000, what: 'a hog container' })
    const [memory, pids] = execFileSync('docker', ['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}', first], { encoding: 'utf8' }).trim().split(' ')
    expect([Number(memory), Number(pids)]).toEqual([64 * 1024 * 1024, 64])
    const failed = await waitFor(async () => {
      const view = (await api<{ replicas: Array<{ container: string, lastFailure?: { error: string } }> }>(nodes[0]!.api, 'GET', '/v1/services/hog')).body
      const replica = view.replicas[0]
      return replica?.lastFailure !== undefined && replica.container !== '' && replica.container !== first ? replica : undefined
    }, { timeoutMs: 60_000, what: 'the hog killed for its memory and replaced' })
    console.log(`hog: ${failed.lastFailure?.error}; replaced by ${failed.container.slice(0, 12)}`)
    expect(failed.lastFailure?.error).toMatch(/memory|137/)
    expect((await api(nodes[0]!.api, 'DELETE', '/v1/services/hog')).status).toBe(200)
  }, 120_000)
})
