// Keeps this node connected to every member of the document and to its join
// addresses, redialling with jittered exponential backoff. Because the targets come
// from the replicated `nodes` map, a restarted node or a healed partition re-forms
// the full mesh without --join.

import { peerIdFromString } from '@libp2p/peer-id'
import { tcpMultiaddr } from './address.ts'
import { DIAL_TIMEOUT_MS, RECONNECT_MAX_MS, RECONNECT_MIN_MS, RECONNECT_TICK_MS } from './constants.ts'
import type { Logger } from '../logger.ts'
import type { Libp2p, PeerId, PeerInfo } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface ConnectorInit {
  node: Pick<Libp2p, 'dial' | 'getConnections' | 'addEventListener' | 'removeEventListener'>
  self: string
  join: Multiaddr[]
  /** The document's members and where they listen. */
  members: () => Array<{ id: string, host: string, port: number }>
  /** Dial peers found by mDNS. */
  mdns: boolean
  /** True for a peer refused for now: it is not dialled (the gater would turn it away). */
  refusing: (peer: string) => boolean
  log: Logger
}

interface Target {
  addr: Multiaddr
  /** Known for members; learnt from the first connection for join addresses. */
  peer?: PeerId
  failures: number
  nextAt: number
  dialing: boolean
}

/** Dials members and join addresses that are not connected, with backoff. */
export class Connector {
  private readonly init: ConnectorInit
  private readonly joins: Target[]
  private readonly members = new Map<string, Target>()
  private timer: NodeJS.Timeout | undefined
  private started = false

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    // Retry soon, not after whatever backoff an earlier outage left behind.
    for (const target of this.targets()) {
      if (target.peer?.equals(evt.detail) === true) {
        target.failures = 0
        target.nextAt = Date.now() + jitter(RECONNECT_MIN_MS)
      }
    }
  }

  private readonly onDiscovery = (evt: CustomEvent<PeerInfo>): void => {
    if (evt.detail.id.toString() === this.init.self || this.connected(evt.detail.id) || this.init.refusing(evt.detail.id.toString())) return
    this.init.node.dial(evt.detail.id, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      .catch(err => { this.init.log.debug({ err, peer: evt.detail.id.toString() }, 'cannot dial a peer found by mDNS') })
  }

  constructor (init: ConnectorInit) {
    this.init = init
    this.joins = init.join.map(addr => ({ addr, failures: 0, nextAt: 0, dialing: false }))
  }

  start (): void {
    if (this.started) return
    this.started = true
    this.init.node.addEventListener('peer:disconnect', this.onDisconnect)
    if (this.init.mdns) this.init.node.addEventListener('peer:discovery', this.onDiscovery)
    this.tick()
  }

  stop (): void {
    if (!this.started) return
    this.started = false
    clearTimeout(this.timer)
    this.init.node.removeEventListener('peer:disconnect', this.onDisconnect)
    this.init.node.removeEventListener('peer:discovery', this.onDiscovery)
  }

  private tick (): void {
    this.refreshMembers()
    const now = Date.now()
    for (const target of this.targets()) {
      if (target.peer !== undefined && this.connected(target.peer)) {
        target.failures = 0
        continue
      }
      if (target.peer !== undefined && this.init.refusing(target.peer.toString())) continue
      if (!target.dialing && now >= target.nextAt) this.dial(target)
    }
    this.timer = setTimeout(() => { this.tick() }, RECONNECT_TICK_MS)
    this.timer.unref()
  }

  private refreshMembers (): void {
    const seen = new Set<string>()
    for (const member of this.init.members()) {
      if (member.id === this.init.self) continue
      seen.add(member.id)
      const addr = tcpMultiaddr(member.host, member.port, member.id)
      const target = this.members.get(member.id)
      if (target === undefined) {
        this.members.set(member.id, { addr, peer: peerIdFromString(member.id), failures: 0, nextAt: 0, dialing: false })
      } else if (!target.addr.equals(addr)) {
        target.addr = addr // the member moved: try the new address now
        target.failures = 0
        target.nextAt = 0
      }
    }
    for (const id of this.members.keys()) if (!seen.has(id)) this.members.delete(id)
  }

  private * targets (): Generator<Target> {
    yield * this.joins
    yield * this.members.values()
  }

  private connected (peer: PeerId): boolean {
    return this.init.node.getConnections(peer).length > 0
  }

  private dial (target: Target): void {
    target.dialing = true
    this.init.node.dial(target.addr, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      .then(connection => {
        if (target.failures > 0) this.init.log.info({ addr: target.addr.toString(), failures: target.failures }, 'connected after failed attempts')
        target.peer = connection.remotePeer
        target.failures = 0
      }, err => {
        target.failures += 1
        target.nextAt = Date.now() + jitter(Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** (target.failures - 1)))
        // The first failure says so; retries are debug noise. A secret mismatch was
        // already reported, with the reason, by the protector.
        const quiet = target.failures > 1 || (err as Error).name === 'ClusterSecretMismatchError'
        this.init.log[quiet ? 'debug' : 'info']({ addr: target.addr.toString(), err: (err as Error).message }, 'cannot connect; retrying with backoff')
      })
      .finally(() => { target.dialing = false })
      .catch(err => { this.init.log.error({ err }, 'connector bookkeeping failed') })
  }
}

/** d ± 20%: peers that lost each other at the same moment do not redial in lockstep. */
function jitter (ms: number): number {
  return ms * (0.8 + 0.4 * Math.random())
}
