// The connector's targets with a stand-in libp2p node: peers found by mDNS are dialled
// even when found before the connector started, and again after a failed dial (libp2p
// announces a peer only once, when its store first learns it).

import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Connector } from '../../src/gossip/connector.ts'
import { MDNS_MAX_FOUND, RECONNECT_TICK_MS } from '../../src/gossip/constants.ts'
import { silent } from '../support/logger.ts'
import type { PeerId } from '@libp2p/interface'

/** A libp2p node that records dials, fails the first `failures` of them, and connects the rest. */
function standIn (failures = 0, error = 'Error') {
  const events = new EventTarget()
  const connected = new Set<string>()
  const dials: string[] = []
  let left = failures
  const node = {
    addEventListener: events.addEventListener.bind(events),
    removeEventListener: events.removeEventListener.bind(events),
    getConnections: (peer?: PeerId) => (peer !== undefined && connected.has(peer.toString()) ? [{}] : []),
    dial: async (addr: { toString: () => string, getComponents: () => Array<{ name: string, value?: string }> }) => {
      dials.push(addr.toString())
      if (left-- > 0) throw Object.assign(new Error('connection refused'), { name: error })
      const id = addr.getComponents().findLast((c) => c.name === 'p2p')?.value ?? ''
      connected.add(id)
      return { remotePeer: { toString: () => id, equals: (other: PeerId) => other.toString() === id } }
    }
  }
  const find = (id: PeerId, host: string): void => {
    events.dispatchEvent(new CustomEvent('peer:discovery', { detail: { id, multiaddrs: [multiaddr(`/ip4/${host}/tcp/7701`)] } }))
  }
  return { node, dials, connected, find }
}

const peer = async (): Promise<PeerId> => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))

describe('the connector and mDNS', () => {
  let connector: Connector | undefined
  afterEach(() => { connector?.stop(); vi.useRealTimers() })

  it('dials a peer found while the node was still starting, once the connector starts', async () => {
    const { node, dials, connected, find } = standIn()
    const other = await peer()
    connector = new Connector({ node: node as never, self: 'me', join: [], members: () => [], mdns: true, refusing: () => false, log: silent })
    find(other, '127.0.0.58')
    expect(dials).toEqual([])
    connector.start()
    await vi.waitFor(() => { expect(connected.has(other.toString())).toBe(true) })
    expect(dials).toEqual([`/ip4/127.0.0.58/tcp/7701/p2p/${other.toString()}`])
  })

  it('dials a found peer again after a failed dial, with no second announcement', async () => {
    vi.useFakeTimers()
    const { node, dials, connected, find } = standIn(2)
    const other = await peer()
    connector = new Connector({ node: node as never, self: 'me', join: [], members: () => [], mdns: true, refusing: () => false, log: silent })
    connector.start()
    find(other, '127.0.0.58')
    for (let i = 0; i < 20 && !connected.has(other.toString()); i++) await vi.advanceTimersByTimeAsync(RECONNECT_TICK_MS)
    expect(connected.has(other.toString())).toBe(true)
    expect(dials).toHaveLength(3)
  })

  it('never dials a refused peer it found', async () => {
    const { node, dials, find } = standIn()
    const [refused, other] = [await peer(), await peer()]
    connector = new Connector({ node: node as never, self: 'me', join: [], members: () => [], mdns: true, refusing: (id) => id === refused.toString(), log: silent })
    find(refused, '127.0.0.59')
    find(other, '127.0.0.58')
    connector.start()
    await vi.waitFor(() => { expect(dials).toEqual([`/ip4/127.0.0.58/tcp/7701/p2p/${other.toString()}`]) })
  })

  it('drops a found peer of another cluster (another secret) after its first dial', async () => {
    vi.useFakeTimers()
    const { node, dials, find } = standIn(Infinity, 'ClusterSecretMismatchError')
    connector = new Connector({ node: node as never, self: 'me', join: [], members: () => [], mdns: true, refusing: () => false, log: silent })
    connector.start()
    find(await peer(), '127.0.0.58')
    for (let i = 0; i < 40; i++) await vi.advanceTimersByTimeAsync(RECONNECT_TICK_MS)
    expect(dials).toHaveLength(1)
    expect(connector.foundPeers()).toEqual([])
  })

  it('keeps at most MDNS_MAX_FOUND found peers, the newest', async () => {
    const { node, find } = standIn()
    connector = new Connector({ node: node as never, self: 'me', join: [], members: () => [], mdns: true, refusing: () => false, log: silent })
    const peers = await Promise.all(Array.from({ length: MDNS_MAX_FOUND + 5 }, peer))
    peers.forEach((p, i) => { find(p, `127.0.1.${i}`) })
    expect(connector.foundPeers()).toEqual(peers.slice(5).map(String))
  })

  it('dials nobody found by mDNS when mDNS is off', async () => {
    const { node, dials, find } = standIn()
    connector = new Connector({ node: node as never, self: 'me', join: [], members: () => [], mdns: false, refusing: () => false, log: silent })
    find(await peer(), '127.0.0.58')
    connector.start()
    expect(connector.foundPeers()).toEqual([])
    expect(dials).toEqual([])
  })
})
