// The libp2p host: TCP bound to the node's address in both directions, the cluster
// secret (pnet + confirmation), noise, yamux, identify, ping, gossipsub, and mDNS
// when asked. Its connection gater turns away peers the PeerGuard refuses, both ways,
// once noise has proven who they are.

import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { defaultCrypto, nodeCrypto } from '@chainsafe/libp2p-noise/crypto'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub } from '@libp2p/gossipsub'
import { clusterProtector } from './protector.ts'
import type { ClusterIdentity } from './types.ts'
import { tcpMultiaddr } from './address.ts'
import { DIAL_TIMEOUT_MS, MAX_GOSSIP_RPC_BYTES, MDNS_QUERY_INTERVAL_MS, MDNS_SERVICE_TAG } from './constants.ts'
import type { Logger } from '../logger.ts'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { Ping } from '@libp2p/ping'
import type { TCPOptions } from '@libp2p/tcp'
import type { Libp2p, PrivateKey } from '@libp2p/interface'

export interface HostInit {
  privateKey: PrivateKey
  host: string
  port: number
  psk: Uint8Array
  mdns: boolean
  log: Logger
  /** True for a peer refused for now (PeerGuard.refusing). */
  refusing: (peer: string) => boolean
  /** This node's cluster id, exchanged with the key confirmation. */
  cluster?: ClusterIdentity
}

export type Host = Libp2p<{ identify: Identify, ping: Ping, pubsub: GossipSub }>

// Noise's default crypto compiles WebAssembly ChaCha20-Poly1305 and SHA-256 modules at
// import and seals messages under 1200 bytes with the first. OpenSSL's for every message
// lets the bundle leave every WebAssembly module out (scripts/build.ts), and with them
// V8's wasm engine: ~5-10 MB of RSS per daemon, for ~20 us more per small gossip message
// (23 us instead of 4 for 100 bytes).
const NOISE_CRYPTO = {
  ...defaultCrypto,
  chaCha20Poly1305Encrypt: nodeCrypto.chaCha20Poly1305Encrypt,
  chaCha20Poly1305Decrypt: nodeCrypto.chaCha20Poly1305Decrypt
}

/** A configured, not yet started libp2p node. */
export async function createHost (init: HostInit): Promise<Host> {
  // @libp2p/tcp spreads dialOpts into net.connect(), but its type leaves out
  // localAddress, which binds outgoing connections to the node's address.
  const dialOpts: NonNullable<TCPOptions['dialOpts']> & { localAddress: string } = { localAddress: init.host, noDelay: true }
  return await createLibp2p({
    start: false,
    privateKey: init.privateKey,
    addresses: { listen: [tcpMultiaddr(init.host, init.port).toString()] },
    transports: [tcp({ dialOpts, listenOpts: { noDelay: true } })],
    connectionProtector: clusterProtector({ psk: init.psk, log: init.log, ...(init.cluster === undefined ? {} : { cluster: init.cluster }) }),
    connectionEncrypters: [noise({ crypto: NOISE_CRYPTO })],
    streamMuxers: [yamux()],
    connectionManager: { dialTimeout: DIAL_TIMEOUT_MS },
    connectionGater: {
      denyDialPeer: peer => init.refusing(peer.toString()),
      denyInboundEncryptedConnection: peer => init.refusing(peer.toString()),
      denyOutboundEncryptedConnection: peer => init.refusing(peer.toString())
    },
    // Imported only when on: its multicast DNS stack is never needed on loopback or with --no-mdns.
    peerDiscovery: init.mdns ? [(await import('@libp2p/mdns')).mdns({ serviceTag: MDNS_SERVICE_TAG, interval: MDNS_QUERY_INTERVAL_MS })] : [],
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        // Small clusters: a node's own updates go to every subscribed peer, not only
        // its mesh (which gossipsub builds on its heartbeat, up to a second late),
        // and publishing with no subscribed peer yet is not an error (sync catches
        // them up when they subscribe).
        floodPublish: true,
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        fallbackToFloodsub: false,
        // An update over MAX_UPDATE_BYTES still reaches the validator, which refuses
        // its publisher with the reason; far larger RPCs are cut off by gossipsub.
        maxInboundDataLength: MAX_GOSSIP_RPC_BYTES
      })
    }
  })
}
