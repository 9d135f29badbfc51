// Keeps this node connected to every member of the document and to its join
// addresses, redialling with jittered exponential backoff. Because the targets come
// from the replicated `nodes` map, a restarted node or a healed partition re-forms
// the full mesh without --join. Peers found by mDNS are targets too, from the moment the
// connector exists (libp2p tells of a peer once, when its store first learns it: a peer
// found while the node was still starting, or whose first dial failed, must not be lost).

import { peerIdFromString } from '@libp2p/peer-id'
import { tcpMultiaddr } from './address.ts'
import { DIAL_TIMEOUT_MS, MDNS_MAX_FOUND, RECONNECT_MAX_MS, RECONNECT_MIN_MS, RECONNECT_TICK_MS } from './constants.ts'
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
  /** Peers found by mDNS that are not members yet, oldest first (at most MDNS_MAX_FOUND). */
  private readonly found = new Map<string, Target>()
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

  /** Files a peer found by mDNS as a target: dialled by the next tick, then with backoff until connected. */
  private readonly onDiscovery = (evt: CustomEvent<PeerInfo>): void => {
    const id = evt.detail.id.toString()
    const addr = evt.detail.multiaddrs[0]
    if (id === this.init.self || addr === undefined || this.members.has(id)) return
    const known = this.found.get(id)
    const at = addr.encapsulate(`/p2p/${id}`)
    if (known !== undefined) {
      if (!known.addr.equals(at)) Object.assign(known, { addr: at, failures: 0, nextAt: 0 })
      return
    }
    this.found.set(id, { addr: at, peer: evt.detail.id, failures: 0, nextAt: 0, dialing: false })
    // A LAN full of announcements costs a bounded map: the oldest finds go first.
    for (const old of this.found.keys()) {
      if (this.found.size <= MDNS_MAX_FOUND) break
      this.found.delete(old)
    }
  }

  constructor (init: ConnectorInit) {
    this.init = init
    this.joins = init.join.map(addr => ({ addr, failures: 0, nextAt: 0, dialing: false }))
    if (init.mdns) init.node.addEventListener('peer:discovery', this.onDiscovery)
  }

  start (): void {
    if (this.started) return
    this.started = true
    this.init.node.addEventListener('peer:disconnect', this.onDisconnect)
    this.tick()
  }

  stop (): void {
    this.init.node.removeEventListener('peer:discovery', this.onDiscovery)
    if (!this.started) return
    this.started = false
    clearTimeout(this.timer)
    this.init.node.removeEventListener('peer:disconnect', this.onDisconnect)
  }

  /** The peers found by mDNS that are not members yet (tests, diagnostics). */
  foundPeers (): string[] {
    return [...this.found.keys()]
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
    // A found peer that became a member is dialled as one.
    for (const id of this.found.keys()) if (seen.has(id)) this.found.delete(id)
  }

  private * targets (): Generator<Target> {
    yield * this.joins
    yield * this.members.values()
    yield * this.found.values()
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
        // A peer of another cluster on the LAN (another secret) is dropped: libp2p announces it again only if its addresses change.
        const foreign = (err as Error).name === 'ClusterSecretMismatchError'
        if (foreign && target.peer !== undefined && this.found.get(target.peer.toString()) === target) this.found.delete(target.peer.toString())
        target.failures += 1
        target.nextAt = Date.now() + jitter(Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** (target.failures - 1)))
        // The first failure says so; retries are debug noise. A secret mismatch was
        // already reported, with the reason, by the protector.
        const quiet = target.failures > 1 || foreign
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
