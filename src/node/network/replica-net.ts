// This node's replica network as a part of the daemon: made or adopted right after the
// engine answers (so a subnet problem is one clear start-up error, not every replica
// failing), then its service range for the mesh's addresses and its bridge for them.

import type { Logger } from '../../logger.ts'
import { ipToInt, serviceAddresses } from '../cluster/index.ts'
import type { LocalNetwork, ServiceAddresses } from '../cluster/index.ts'
import type { ServiceRecord } from '../../crdt/index.ts'
import { StartupError } from '../errors.ts'
import { ReplicaNetworkError } from '../runtime/index.ts'
import type { ReplicaNetwork, Runtime } from '../runtime/index.ts'
import { BridgeAddresses } from './addresses.ts'

export class ReplicaNet {
  private readonly runtime: Runtime
  private readonly subnet: string | undefined
  private readonly log: Logger
  private current: ReplicaNetwork | undefined
  private bridge: BridgeAddresses | undefined

  constructor (runtime: Runtime, subnet: string | undefined, log: Logger) {
    this.runtime = runtime
    this.subnet = subnet
    this.log = log
  }

  async start (): Promise<void> {
    if (this.current !== undefined) return
    try {
      this.current = await this.runtime.ensureNetwork(this.subnet === undefined ? {} : { subnet: this.subnet })
    } catch (err) {
      throw err instanceof ReplicaNetworkError ? new StartupError(`--replica-subnet: ${err.message}`) : err
    }
    const { serviceRange, bridge, name, subnet, gateway } = this.current
    const [first, last] = [ipToInt(serviceRange.first), ipToInt(serviceRange.last)]
    this.bridge = new BridgeAddresses(bridge, (address) => { const n = ipToInt(address); return n >= first && n <= last }, this.log)
    this.log.info({ network: name, subnet, gateway, bridge }, 'replica network ready')
  }

  stop (): void {}

  /** The network, once started. */
  network (): ReplicaNetwork | undefined {
    return this.current
  }

  /** What the mesh's routes need of it. */
  local (): LocalNetwork | undefined {
    return this.current === undefined ? undefined : { range: this.current.serviceRange }
  }

  /** The services' addresses on this node (none before the network exists). */
  serviceAddresses (services: Record<string, ServiceRecord>): Map<string, ServiceAddresses> {
    return this.current === undefined ? new Map() : serviceAddresses(services, this.current.serviceRange)
  }

  /** Puts exactly these service addresses on the bridge. */
  async addresses (wanted: string[]): Promise<void> {
    await this.bridge?.sync(wanted)
  }
}
