// Issue 17 on one cluster of three real nodes: each part's acceptance is a suite module
// (metrics, logs, events, dashboard) run in that order against the same cluster; a suite
// that kills a node starts it again before it ends.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, cleanupAll, IMAGE, waitFor } from '../../support/daemon.ts'
import { startCluster, waitForMembers } from '../../support/cluster.ts'
import type { ClusterNode } from '../../support/cluster.ts'
import { OBSERVE_HOSTS, OBSERVE_NAMES, OBSERVE_PREFIX, WEB } from './context.ts'
import type { ObserveContext } from './context.ts'
import { metricsSuite } from './metrics.suite.ts'
import { logsSuite } from './logs.suite.ts'
import { eventsSuite } from './events.suite.ts'
import { dashboardSuite } from './dashboard.suite.ts'

let nodes: ClusterNode[] = []

const context: ObserveContext = {
  nodes: () => nodes,
  hosts: OBSERVE_HOSTS,
  web: WEB,
  restart: async (index) => {
    nodes[index] = await nodes[index]!.restart()
    const alive = Object.fromEntries(OBSERVE_NAMES.map((name) => [name, 'alive']))
    for (const node of nodes) await waitForMembers(node, alive, 30_000)
  }
}

describe('observing a cluster of three real nodes (issue 17)', () => {
  beforeAll(async () => {
    await cleanupAll()
    nodes = await startCluster(OBSERVE_PREFIX, [...OBSERVE_HOSTS])
    const alive = Object.fromEntries(OBSERVE_NAMES.map((name) => [name, 'alive']))
    for (const node of nodes) await waitForMembers(node, alive, 30_000)
    const spec = {
      name: WEB.name,
      image: IMAGE,
      command: ['sh', '-c', 'echo -n $HOSTNAME > /www/id; i=0; while true; do echo "line $i from $HOSTNAME"; i=$((i+1)); sleep 1; done & exec httpd -f -p 8080 -h /www'],
      replicas: 3,
      maxPerNode: 1,
      ports: [{ published: WEB.port, target: 8080 }],
      health: { type: 'tcp', interval: '500ms' }
    }
    const put = await api(nodes[0]!.api, 'PUT', `/v1/services/${WEB.name}`, spec)
    if (put.status !== 201) throw new Error(`PUT web: ${JSON.stringify(put.body)}`)
    await waitFor(async () => (await api(nodes[0]!.api, 'GET', `/v1/services/${WEB.name}`)).body.status.healthy === 3, { timeoutMs: 60_000, what: 'web healthy' })
  }, 120_000)

  afterAll(async () => { await cleanupAll() }, 60_000)

  it('runs web on every node', async () => {
    const view = (await api(nodes[1]!.api, 'GET', `/v1/services/${WEB.name}`)).body as { replicas: Array<{ node: string }> }
    expect(new Set(view.replicas.map((r) => r.node))).toEqual(new Set(OBSERVE_NAMES))
  })

  // The suites, in order; each helper adds its import and call here.
  metricsSuite(context)
  logsSuite(context)
  eventsSuite(context)
  dashboardSuite(context)
})
