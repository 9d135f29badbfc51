// Addresses people type ("10.0.0.5:7001", "[::1]:7001", "node1.lan:7001") and the
// multiaddrs libp2p dials.

import { isIPv4, isIPv6 } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'

/** The TCP multiaddr of host:port; host is an IPv4 or IPv6 address or a DNS name. */
export function tcpMultiaddr (host: string, port: number, peerId?: string): Multiaddr {
  const proto = isIPv4(host) ? 'ip4' : isIPv6(host) ? 'ip6' : 'dns'
  return multiaddr(`/${proto}/${host}/tcp/${port}${peerId === undefined ? '' : `/p2p/${peerId}`}`)
}

/** Parses a join address: a multiaddr, or "host:port" ("[v6]:port" for IPv6); throws a clear error. */
export function parseJoinAddress (address: string): Multiaddr {
  const text = address.trim()
  if (text.startsWith('/')) {
    try {
      return multiaddr(text)
    } catch (err) {
      throw new Error(`invalid join address ${JSON.stringify(address)}: ${(err as Error).message}`)
    }
  }
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text)
  const host = match?.[1] ?? match?.[2]
  const port = Number(match?.[3])
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535 || (match?.[1] !== undefined && !isIPv6(host))) {
    throw new Error(`invalid join address ${JSON.stringify(address)}: expected host:port (e.g. 10.0.0.5:7001) or a multiaddr`)
  }
  return tcpMultiaddr(host, port)
}
