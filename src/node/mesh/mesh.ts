// The routing mesh of this node: the proxy, fed with the routes the cluster's view
// gives (cluster/routes.ts), kept in line as the document and the failure detector
// change. Updates are coalesced and applied one at a time.

import type { ClusterDocument } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import { proxy } from '../../proxy/index.ts'
import type { Proxy, ProxyStats, RouteProblem, ServiceStats } from '../../proxy/index.ts'
import { meshRoutes } from '../cluster/index.ts'
import type { ClusterView } from '../cluster/index.ts'

export interface MeshInit {
  host: string
  document: ClusterDocument
  /** The cluster as this node sees it now. */
  view: () => ClusterView
  log: Logger
  /** Overrides of the proxy's defaults (tests). */
  idleTimeoutMs?: number
  drainTimeoutMs?: number
  maxConnections?: number
}

/** One service's share of the mesh on this node: its counters and its listeners that failed. */
export interface ServiceMeshView {
  stats?: ServiceStats
  problems: Array<{ published: number, error: string }>
}

export class Mesh {
  private readonly init: MeshInit
  private readonly proxy: Proxy
  private running: Promise<void> | undefined
  private again = false
  private started = false
  private lastProblems = ''

  constructor (init: MeshInit) {
    this.init = init
    this.proxy = proxy({
      host: init.host,
      log: init.log,
      ...(init.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: init.idleTimeoutMs }),
      ...(init.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: init.drainTimeoutMs }),
      ...(init.maxConnections === undefined ? {} : { maxConnections: init.maxConnections })
    })
  }

  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    await this.proxy.update(meshRoutes(this.init.view()))
    await this.proxy.start()
    this.reportProblems()
    this.init.document.on('change', this.onChange)
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.init.document.off('change', this.onChange)
    await this.running
    await this.proxy.stop()
  }

  /** Recomputes the routes soon (coalesced): after a member changes state, say. */
  refresh (): void {
    if (!this.started) return
    if (this.running !== undefined) {
      this.again = true
      return
    }
    this.running = (async () => {
      do {
        this.again = false
        await this.proxy.update(meshRoutes(this.init.view()))
        this.reportProblems()
      } while (this.again && this.started)
    })().catch((err: Error) => { this.init.log.error({ err: err.message }, 'mesh update failed') })
      .finally(() => { this.running = undefined })
  }

  stats (): ProxyStats & { problems: RouteProblem[] } {
    return { ...this.proxy.stats(), problems: this.proxy.problems() }
  }

  /** One service's counters and listener problems on this node. */
  service (name: string): ServiceMeshView {
    const stats = this.proxy.stats().services.find((s) => s.service === name)
    return {
      ...(stats === undefined ? {} : { stats }),
      problems: this.proxy.problems().filter((p) => p.service === name).map(({ published, error }) => ({ published, error }))
    }
  }

  private readonly onChange = (change: { services: boolean, replicas: boolean, nodes: boolean, removals: boolean }): void => {
    if (change.services || change.replicas || change.nodes || change.removals) this.refresh()
  }

  /** Logs listener problems when they change (a port taken by something else on the host). */
  private reportProblems (): void {
    const problems = this.proxy.problems()
    const text = JSON.stringify(problems)
    if (text === this.lastProblems) return
    this.lastProblems = text
    for (const problem of problems) this.init.log.warn(problem, 'mesh cannot listen on a published port')
  }
}
