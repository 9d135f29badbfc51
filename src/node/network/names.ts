// The names this node's replicas resolve: its DNS server on the replica network's
// gateway, answering from a table of this node's service and slot addresses (and a
// stack's short names, SHORT.STACK.meshd) that is rebuilt when services change, and
// forwarding every other name.

import type { ClusterDocument } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import { dnsServer } from '../dns/index.ts'
import type { DnsServer, NameTable, Upstream } from '../dns/index.ts'
import { nameTable } from '../dns/index.ts'
import type { ClusterView } from '../cluster/index.ts'
import type { ReplicaNet } from './replica-net.ts'

/** How often a DNS server that could not bind its address tries again. */
const DNS_RETRY_MS = 5_000

export interface NamesInit {
  document: ClusterDocument
  view: () => ClusterView
  network: ReplicaNet
  log: Logger
  /** Resolvers for names outside meshd (--dns-forward); default the host's. */
  upstreams?: Upstream[]
  /** Default 53. */
  port?: number
}

export class ReplicaNames {
  private readonly init: NamesInit
  private server: DnsServer | undefined
  private table: NameTable | undefined
  private lastProblems = ''
  private stopped = false
  private failing = false
  private retry: NodeJS.Timeout | undefined

  constructor (init: NamesInit) {
    this.init = init
  }

  /** Answers at once when the gateway can be bound; else says why and tries again every few seconds: a node without names still runs. */
  async start (): Promise<void> {
    this.stopped = false
    this.init.document.on('change', this.onChange)
    await this.tryListen()
  }

  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.retry)
    this.init.document.off('change', this.onChange)
    await this.server?.stop()
    this.server = undefined
  }

  private async tryListen (): Promise<void> {
    const network = this.init.network.network()
    if (this.stopped || this.server !== undefined || network === undefined) return
    const server = dnsServer({
      host: network.gateway,
      port: this.init.port ?? 53,
      table: () => this.current(),
      log: this.init.log,
      ...(this.init.upstreams === undefined ? {} : { upstreams: this.init.upstreams })
    })
    try {
      await server.start()
    } catch (err) {
      if (!this.failing) this.init.log.error({ err: (err as Error).message, address: network.gateway }, `cannot answer DNS for this node's replicas; trying again every ${DNS_RETRY_MS / 1000} s`)
      this.failing = true
      await server.stop().catch(() => {})
      this.retry = setTimeout(() => { void this.tryListen() }, DNS_RETRY_MS)
      this.retry.unref()
      return
    }
    if (this.stopped) { await server.stop(); return }
    this.server = server
    this.failing = false
    this.init.log.info({ address: network.gateway }, 'answering DNS for this node\'s replicas')
  }

  private current (): NameTable {
    if (this.table !== undefined) return this.table
    const { services } = this.init.view()
    const addresses = this.init.network.serviceAddresses(services)
    const built = nameTable([...addresses].map(([service, { address, slots }]) => {
      const stack = services[service]?.spec.stack
      return { service, address, slots: [...slots].map(([slot, a]) => ({ slot, address: a })), ...(stack === undefined ? {} : { stack }) }
    }))
    const problems = JSON.stringify(built.problems)
    if (problems !== this.lastProblems && built.problems.length > 0) this.init.log.warn({ problems: built.problems }, 'some names cannot be answered')
    this.lastProblems = problems
    this.table = built
    return built
  }

  private readonly onChange = (change: { services: boolean, removals: boolean, nodes: boolean }): void => {
    if (change.services || change.removals || change.nodes) this.table = undefined
  }
}
