// The autoscaler loop against an in-memory document and made-up member samples: the
// figures from counter deltas, the writes (count, status, decisions) into autoscale[web]
// and never into the service record, the count every view takes from it, the event, and
// a new coordinator that keeps the scale-down window from the document.

import { describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import type { ReplicaRecord } from '../../../src/crdt/index.ts'
import { scaleService, writeService } from '../../../src/node/api/index.ts'
import { Autoscaler, Figures } from '../../../src/node/autoscale/index.ts'
import { clusterView } from '../../../src/node/cluster/index.ts'
import { EventBus } from '../../../src/node/events/index.ts'
import type { MemberSample } from '../../../src/node/metrics/index.ts'
import { parseServiceSpec } from '../../../src/node/spec/index.ts'
import { recordingLogger } from '../../support/logger.ts'

const T0 = 1_000_000

function cluster (self = 'node-a') {
  const document = new ClusterDocument({ log: recordingLogger() })
  document.putNode(self, { name: 'a', host: '127.0.0.1', apiPort: 1, p2pPort: 2, labels: {}, draining: false, startedAt: 0 })
  let now = T0
  const view = () => clusterView(document.snapshot(), self, () => 'alive', now)
  let samples = new Map<string, MemberSample>()
  const events = new EventBus({ node: 'a' })
  const autoscaler = new Autoscaler({ document, view, samples: async () => samples, log: recordingLogger(), events })
  ;(autoscaler as unknown as { running: boolean }).running = true
  /** One round at `at` with this member's counters. */
  const round = async (at: number, sample: Partial<MemberSample>) => {
    now = at
    samples = new Map([[self, { replicas: [], mesh: [], waiting: [], ...sample }]])
    await autoscaler.tick()
  }
  const report = (slot: number, state: ReplicaRecord['state'] = 'healthy') => {
    document.putReplica(self, `web#${slot}`, { service: 'web', slot, generation: 1, node: 'a', container: `c${slot}`, endpoint: '', ports: [], state, updatedAt: now })
  }
  /** The count every view has for web (the autoscaler's, within the spec's bounds), and the autoscaler's record. */
  const count = (): number | undefined => view().services.web?.spec.replicas
  const status = () => document.autoscale().web
  return { document, round, report, events, view, count, status }
}

const web = (autoscale: object, fields: object = {}) => parseServiceSpec({ name: 'web', image: 'meshd/busybox:latest', autoscale, ...fields })

describe('Autoscaler', () => {
  it('scales on new connections per second, then back after the scale-down window, each decision with its reason', async () => {
    const { document, round, report, events, count, status } = cluster()
    writeService(document, web({ min: 1, max: 5, requestsPerSecond: 50, scaleDown: { window: '10s' } }), T0 - 10_000)
    const written = document.service('web')!
    report(0)
    await round(T0, { mesh: [{ service: 'web', total: 0, active: 0 }] })
    expect(count()).toBe(1)
    await round(T0 + 2000, { mesh: [{ service: 'web', total: 400, active: 3 }] })
    expect(count()).toBe(4)
    // The service record is the user's: neither its count nor its generation moved.
    expect(document.service('web')).toEqual(written)
    expect(status()).toMatchObject({ serviceCreatedAt: written.createdAt, desired: 4, metrics: { running: 1, requestsPerSecond: 200, connections: 3 }, lastDecision: { from: 1, to: 4 } })
    expect(status()!.lastDecision!.reason).toBe('requestsPerSecond 200 (target 50 per replica) → 4')
    expect(events.recent().filter((e) => e.kind === 'service.autoscaled')).toMatchObject([{ service: 'web', replicas: 4, previous: 1 }])
    let total = 400
    // The last recommendation of 4 was at 2 s: a 10 s window holds it until 12 s.
    for (let at = T0 + 4000; at <= T0 + 12_000; at += 2000) {
      await round(at, { mesh: [{ service: 'web', total, active: 0 }] })
      expect(count()).toBe(4)
    }
    total += 2
    await round(T0 + 14_000, { mesh: [{ service: 'web', total, active: 0 }] })
    expect(count()).toBe(1)
    expect(status()!.decisions.map((d) => `${d.from}→${d.to}`)).toEqual(['1→4', '4→1'])
    expect(status()!.lastDecision!.reason).toContain('10s scale-down window')
  })

  it('keeps the count of an autoscaled service on redeploy, within the new bounds; not for a service made anew; refuses a manual scale', () => {
    const { document, count } = cluster()
    writeService(document, web({ min: 1, max: 5, connections: 10 }), T0 - 10_000)
    const created = document.service('web')!.createdAt
    const decided = { serviceCreatedAt: created, desired: 3, metrics: { running: 1, at: T0 }, decisions: [], recommendations: [], updatedAt: T0 }
    document.putAutoscale('web', decided)
    expect(count()).toBe(3)
    writeService(document, web({ min: 1, max: 5, connections: 10 }, { env: { A: '1' } }), T0 + 1)
    expect(count()).toBe(3)
    expect(document.service('web')!.spec.replicas).toBe(1) // where autoscaling starts, as written
    writeService(document, web({ min: 1, max: 2, connections: 10 }, { env: { A: '1' } }), T0 + 2)
    expect(count()).toBe(2)
    expect(() => scaleService(document, 'web', 4)).toThrow(/autoscaled between 1 and 2 replicas: change autoscale.min and autoscale.max/)
    // Without autoscale, the spec's count again.
    writeService(document, parseServiceSpec({ name: 'web', image: 'meshd/busybox:latest', env: { A: '1' }, replicas: 2 }), T0 + 3)
    expect(count()).toBe(2)
    // A service of the same name made anew (the record of the old one still there): its own count.
    document.deleteService('web')
    writeService(document, web({ min: 1, max: 5, connections: 10 }), T0 + 4)
    expect(count()).toBe(1)
  })

  it('scales on CPU as a share of the limit', async () => {
    const { document, round, report, count, status } = cluster()
    writeService(document, web({ min: 1, max: 4, cpu: 50 }, { resources: { limits: { cpus: 0.2 } } }), T0 - 10_000)
    report(0)
    await round(T0, { replicas: [{ service: 'web', container: 'c0', cpuSeconds: 10 }] })
    // 0.38 s of CPU in 2 s under a 0.2 limit: 95 % of it.
    await round(T0 + 2000, { replicas: [{ service: 'web', container: 'c0', cpuSeconds: 10.38 }] })
    expect(status()!.metrics.cpu).toBe(95)
    expect(count()).toBe(2)
  })

  it('wakes a service at zero when a connection waits', async () => {
    const { document, round, count, status } = cluster()
    writeService(document, web({ min: 0, max: 3, requestsPerSecond: 50, scaleDown: { window: '0s' } }, { replicas: 0 }), T0 - 10_000)
    await round(T0, {})
    await round(T0 + 2000, {})
    expect(count()).toBe(0)
    await round(T0 + 4000, { waiting: [{ service: 'web', since: T0 + 3900 }], mesh: [{ service: 'web', total: 1, active: 1 }] })
    expect(count()).toBe(1)
    expect(status()!.lastDecision!.reason).toBe('a connection waits for a replica')
  })

  it('rewrites an unchanged status only every minute', async () => {
    const { document, round, status } = cluster()
    writeService(document, web({ min: 1, max: 5, connections: 10 }), T0 - 10_000)
    const writes: number[] = []
    for (let at = T0; at <= T0 + 70_000; at += 2000) {
      await round(at, { mesh: [{ service: 'web', total: 0, active: 10 }] })
      const updated = status()?.updatedAt
      if (updated !== undefined && writes.at(-1) !== updated) writes.push(updated)
    }
    expect(writes.map((at) => at - T0)).toEqual([0, 60_000])
  })

  it('never writes the service record: a user\'s write made meanwhile stands', async () => {
    const { document, round, count } = cluster()
    writeService(document, web({ min: 1, max: 5, connections: 10 }), T0 - 1000)
    await round(T0, { mesh: [{ service: 'web', total: 0, active: 100 }] })
    writeService(document, web({ min: 1, max: 5, connections: 10 }, { env: { B: '2' } }), T0 + 1000)
    await round(T0 + 2000, { mesh: [{ service: 'web', total: 0, active: 100 }] })
    expect(count()).toBe(5)
    expect(document.service('web')!.spec.env).toEqual({ B: '2' })
  })

  it('leaves a service it does not coordinate alone', async () => {
    const { document, round } = cluster()
    document.putNode('node-b', { name: 'b', host: '127.0.0.2', apiPort: 1, p2pPort: 2, labels: {}, draining: false, startedAt: 0 })
    // Among a and b, one coordinates "web": find a name the other one does.
    writeService(document, web({ min: 1, max: 5, connections: 1 }), T0 - 10_000)
    const other = cluster('node-b')
    expect(other).toBeDefined()
    await round(T0, { mesh: [{ service: 'web', total: 0, active: 100 }] })
    const scaled = document.autoscale().web !== undefined
    const { coordinatorOf } = await import('../../../src/node/cluster/index.ts')
    const view = clusterView(document.snapshot(), 'node-a', () => 'alive', T0)
    expect(scaled).toBe(coordinatorOf(view, 'web') === 'node-a')
  })

  it('starts a new coordinator from the recommendations in the document', async () => {
    const first = cluster()
    writeService(first.document, web({ min: 1, max: 5, requestsPerSecond: 50, scaleDown: { window: '20s' } }), T0 - 10_000)
    await first.round(T0, { mesh: [{ service: 'web', total: 0, active: 0 }] })
    await first.round(T0 + 2000, { mesh: [{ service: 'web', total: 400, active: 0 }] })
    expect(first.count()).toBe(4)
    // Another node takes over with the same records: idle now, but the window still holds 4.
    const second = cluster('node-c')
    writeService(second.document, web({ min: 1, max: 5, requestsPerSecond: 50, scaleDown: { window: '20s' } }), T0 - 10_000)
    second.document.putAutoscale('web', first.status()!)
    await second.round(T0 + 4000, { mesh: [{ service: 'web', total: 0, active: 0 }] })
    await second.round(T0 + 6000, { mesh: [{ service: 'web', total: 0, active: 0 }] })
    expect(second.count()).toBe(4)
    // The first coordinator's 4 at 2 s holds until 22 s (its first round measures nothing: no delta yet).
    await second.round(T0 + 22_000, { mesh: [{ service: 'web', total: 0, active: 0 }] })
    expect(second.count()).toBe(4)
    await second.round(T0 + 24_000, { mesh: [{ service: 'web', total: 0, active: 0 }] })
    expect(second.count()).toBe(1)
  })
})

describe('Figures', () => {
  it('divides each counter by its own interval and counts a reset from zero', () => {
    const { view, document } = cluster()
    writeService(document, web({ min: 1, max: 5, requestsPerSecond: 50 }), T0 - 10_000)
    const figures = new Figures()
    const sample = (total: number): MemberSample => ({ replicas: [], mesh: [{ service: 'web', total, active: 1 }], waiting: [] })
    expect(figures.update(view(), new Map([['a', sample(100)]]), T0).get('web')).toEqual({ running: 0, connections: 1, at: T0 })
    expect(figures.update(view(), new Map([['a', sample(300)]]), T0 + 2000).get('web')!.requestsPerSecond).toBe(100)
    expect(figures.update(view(), new Map([['a', sample(40)]]), T0 + 4000).get('web')!.requestsPerSecond).toBe(20)
    // a missed round: its next delta is over 4 s.
    figures.update(view(), new Map(), T0 + 6000)
    expect(figures.update(view(), new Map([['a', sample(240)]]), T0 + 8000).get('web')!.requestsPerSecond).toBe(50)
  })
})
