// What the suites of issue 17 (metrics, logs, events, dashboard) share: one cluster of
// three real nodes with a web service, started once by observe.test.ts.

import type { ClusterNode } from '../../support/cluster.ts'

export interface ObserveContext {
  /** The three nodes, test-obs-1..3, as they are now (restart replaces one). */
  nodes: () => ClusterNode[]
  hosts: readonly string[]
  /** A busybox httpd service, 3 replicas, published on `port` on every node, TCP health; healthy before the suites run. */
  web: { name: string, port: number }
  /** Starts a killed node again (same name, address, data dir) and waits until every node sees all three alive. */
  restart: (index: number) => Promise<void>
}

// OBSERVE_PREFIX and OBSERVE_HOSTS (comma-separated) move a run elsewhere, beside another.
export const OBSERVE_PREFIX = process.env.OBSERVE_PREFIX ?? 'test-obs'
export const OBSERVE_HOSTS: readonly string[] = process.env.OBSERVE_HOSTS?.split(',') ?? ['127.0.0.176', '127.0.0.177', '127.0.0.178']
export const OBSERVE_NAMES: readonly string[] = OBSERVE_HOSTS.map((_, i) => `${OBSERVE_PREFIX}-${i + 1}`)
export const WEB = { name: 'web', port: 18560 }
