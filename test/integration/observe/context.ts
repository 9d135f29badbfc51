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

export const OBSERVE_HOSTS = ['127.0.0.176', '127.0.0.177', '127.0.0.178'] as const
export const OBSERVE_NAMES = ['test-obs-1', 'test-obs-2', 'test-obs-3'] as const
export const WEB = { name: 'web', port: 18560 }
