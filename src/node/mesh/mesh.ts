// The routing mesh of this node: the proxy, fed with the routes the cluster's view
// gives (cluster/routes.ts), kept in line as the document and the failure detector
// change, and its mesh port, where other nodes' meshes reach this node's replicas.
// Updates are coalesced and applied one at a time; the service addresses are put on
// the replica network before the listeners that bind them.

import type { ClusterDocument } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import { proxy } from '../../proxy/index.ts'
import type { Proxy, ProxyStats, RouteProblem, ServiceStats } from '../../proxy/index.ts'
import { localSources, localTarget, meshRoutes } from '../cluster/index.ts'
import type { ClusterView, LocalNetwork } from '../cluster/index.ts'

export interface MeshInit {
  host: string
  document: ClusterDocument
  /** The cluster as this node sees it now. */
  view: () => ClusterView
  log: Logger
  /** Other nodes' meshes reach this node's replicas here, with hops signed with meshKey. */
  meshPort?: number
  meshKey?: Buffer
  /** This node's replica network, once it exists: service addresses come from its range. */
  network?: () => LocalNetwork | undefined
  /** Makes the replica network carry exactly these service addresses (before listeners bind them). */
  addresses?: (wanted: string[]) => Promise<void>
  /** Overrides of the proxy's defaults (tests). */
  idleTimeoutMs?: number
  drainTimeoutMs?: number
  maxConnections?: number
}

/** One service's share of the mesh on this node: its counters and its listeners that failed. */
export interface ServiceMeshView {
  stats?: ServiceStats
  problems: Array<{ published: number, address?: string, error: string }>
}

export class Mesh {
  private readonly init: MeshInit
  private readonly proxy: Proxy
  private running: Promise<void> | undefined
  private again = false
  private started = false
  private lastProblems = ''
  /** Address → service of this node's replicas, as of the last routes. */
  private sources = new Map<string, string>()

  constructor (init: MeshInit) {
    this.init = init
    this.proxy = proxy({
      host: init.host,
      log: init.log,
      sourceOf: (address) => this.sources.get(address.replace(/^::ffff:/, '')),
      ...(init.meshKey === undefined ? {} : { meshKey: init.meshKey }),
      ...(init.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: init.idleTimeoutMs }),
      ...(init.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: init.drainTimeoutMs }),
      ...(init.maxConnections === undefined ? {} : { maxConnections: init.maxConnections })
    })
  }

  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    await this.apply()
    await this.proxy.start()
    if (this.init.meshPort !== undefined && this.init.meshKey !== undefined) {
      await this.proxy.serveMesh({ port: this.init.meshPort, target: (service, slot, port) => localTarget(this.init.view(), service, slot, port) })
        .catch((err: NodeJS.ErrnoException) => { this.init.log.error({ port: this.init.meshPort, err: err.code ?? err.message }, 'cannot listen on the mesh port: other nodes cannot reach this node\'s replicas') })
    }
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
        await this.apply()
        this.reportProblems()
      } while (this.again && this.started)
    })().catch((err: Error) => { this.init.log.error({ err: err.message }, 'mesh update failed') })
      .finally(() => { this.running = undefined })
  }

  /** The routes of the current view, with the service addresses they listen on put in place first. */
  private async apply (): Promise<void> {
    const view = this.init.view()
    const routes = meshRoutes(view, this.init.network?.())
    this.sources = localSources(view)
    if (this.init.addresses !== undefined) {
      const wanted = [...new Set(routes.flatMap((route) => route.address === undefined ? [] : [route.address]))]
      await this.init.addresses(wanted).catch((err: Error) => { this.init.log.error({ err: err.message }, 'cannot put the service addresses on the replica network') })
    }
    await this.proxy.update(routes)
  }

  stats (): ProxyStats & { problems: RouteProblem[] } {
    return { ...this.proxy.stats(), problems: this.proxy.problems() }
  }

  /** The services a connection waits for at this node (scale from zero). */
  waiting (): Array<{ service: string, since: number }> {
    return this.proxy.waiting()
  }

  /** One service's counters and listener problems on this node. */
  service (name: string): ServiceMeshView {
    const stats = this.proxy.stats().services.find((s) => s.service === name)
    return {
      ...(stats === undefined ? {} : { stats }),
      problems: this.proxy.problems().filter((p) => p.service === name).map(({ published, address, error }) => ({ published, ...(address === undefined ? {} : { address }), error }))
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
    for (const problem of problems) this.init.log.warn(problem, 'mesh cannot listen on a port')
  }
}
