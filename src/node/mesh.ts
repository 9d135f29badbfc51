// The routing mesh of this node: the document's healthy replicas on members not dead,
// turned into the proxy's routes, kept in line as the document and the failure
// detector change. Updates are coalesced and applied one at a time.

import type { ClusterDocument, Logger, ReplicaRecord } from '../crdt/index.ts'
import { proxy } from '../proxy/index.ts'
import type { Proxy, ProxyStats, Route, RouteProblem, ServiceStats } from '../proxy/index.ts'
import type { MemberState } from './reconciler/placement.ts'

export interface MeshInit {
  host: string
  self: string
  document: ClusterDocument
  memberState: (id: string) => MemberState
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

/** Routes for every published port: endpoints are healthy replicas on members that are not dead. */
export function meshRoutes (document: ClusterDocument, self: string, memberState: (id: string) => MemberState): Route[] {
  const serving = new Map<string, ReplicaRecord[]>()
  for (const { nodeId, replica } of document.replicas()) {
    if (replica.state !== 'healthy' || (nodeId !== self && memberState(nodeId) === 'dead')) continue
    serving.set(replica.service, [...(serving.get(replica.service) ?? []), replica])
  }
  const routes: Route[] = []
  const services = Object.values(document.services()).sort((a, b) => (a.spec.name < b.spec.name ? -1 : 1))
  for (const { spec } of services) {
    for (const port of spec.ports) {
      const endpoints = new Set<string>()
      for (const replica of serving.get(spec.name) ?? []) {
        const endpoint = replica.ports.find((p) => p.target === port.target)?.endpoint
        if (endpoint !== undefined && endpoint !== '') endpoints.add(endpoint)
      }
      routes.push({ service: spec.name, published: port.published, endpoints: [...endpoints].sort(), ...(port.proxyProtocol === true ? { proxyProtocol: true } : {}) })
    }
  }
  return routes
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
    await this.proxy.update(this.routes())
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
        await this.proxy.update(this.routes())
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

  private routes (): Route[] {
    const { document, self, memberState } = this.init
    return meshRoutes(document, self, memberState)
  }

  private readonly onChange = (change: { services: boolean, replicas: boolean, nodes: boolean }): void => {
    if (change.services || change.replicas || change.nodes) this.refresh()
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
