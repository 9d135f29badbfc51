// The restart policy on a real engine: a crash-looping replica is restarted until
// restart.maxAttempts, then left exited with the reason; condition none leaves an exited
// replica alone; a docker kill under the default policy is replaced at once.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { api, cleanupAll, containersOf, IMAGE, startDaemon, waitFor } from '../../support/daemon.ts'
import type { TestDaemon } from '../../support/daemon.ts'

const NODE = 'test-restart'
const HOST = '127.0.0.26'

interface View { replicas: Array<{ state: string, error?: string, container: string, lastFailure?: { error: string } }> }

describe('restart policy on a real engine', () => {
  let daemon: TestDaemon
  const view = async (name: string): Promise<View> => (await api<View>(daemon.api, 'GET', `/v1/services/${name}`)).body

  beforeAll(async () => { daemon = await startDaemon({ name: NODE, host: HOST }) })
  afterAll(cleanupAll)

  it('restarts a failing replica maxAttempts times, then leaves it exited and says why', async () => {
    const spec = { name: 'crashy', image: IMAGE, command: ['sh', '-c', 'exit 3'], restart: { condition: 'on-failure', maxAttempts: 2, delay: '100ms' } }
    expect((await api(daemon.api, 'PUT', '/v1/services/crashy', spec)).status).toBe(201)
    const final = await waitFor(async () => {
      const v = await view('crashy')
      const r = v.replicas[0]
      return r?.state === 'exited' && /gave up after 2 restarts/.test(r.error ?? '') ? r : undefined
    }, { timeoutMs: 30_000, what: 'crashy to be given up on' })
    expect(final.error).toMatch(/code 3/)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    // Still the same container: nothing was started after giving up.
    expect((await view('crashy')).replicas[0]!.container).toBe(final.container)
    expect(containersOf(NODE, 'crashy')).toHaveLength(1)
  })

  it('leaves an exited replica alone with condition none', async () => {
    const spec = { name: 'oneshot', image: IMAGE, command: ['sh', '-c', 'sleep 1; exit 0'], restart: { condition: 'none' } }
    expect((await api(daemon.api, 'PUT', '/v1/services/oneshot', spec)).status).toBe(201)
    const done = await waitFor(async () => {
      const r = (await view('oneshot')).replicas[0]
      return r?.state === 'exited' ? r : undefined
    }, { timeoutMs: 20_000, what: 'oneshot to exit' })
    expect(done.error).toMatch(/condition none/)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect((await view('oneshot')).replicas[0]!.container).toBe(done.container)
  })

  it('replaces a killed replica at once under the default policy', async () => {
    const spec = { name: 'steady', image: IMAGE, command: ['httpd', '-f', '-p', '8080', '-h', '/www'], ports: [{ published: 18110, target: 8080 }] }
    expect((await api(daemon.api, 'PUT', '/v1/services/steady', spec)).status).toBe(201)
    const first = await waitFor(async () => {
      const r = (await view('steady')).replicas[0]
      return r?.state === 'healthy' ? r : undefined
    }, { what: 'steady to be healthy' })
    execFileSync('docker', ['kill', first.container], { stdio: 'ignore' })
    const next = await waitFor(async () => {
      const r = (await view('steady')).replicas[0]
      return r?.state === 'healthy' && r.container !== first.container ? r : undefined
    }, { what: 'a replacement' })
    expect(next.lastFailure?.error).toMatch(/code 137/)
  })
})
