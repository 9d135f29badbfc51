// What a node's replica network looks like, as plain data: its name, its bridge, the /20
// it tries first, the part Docker hands to containers and the part the node keeps for
// service addresses. Pure, tested without an engine.

import { createHash } from 'node:crypto'
import { BRIDGE_NAME_PREFIX, MIN_GIVEN_SUBNET_PREFIX, REPLICA_POOL, REPLICA_RANGE_PREFIX, REPLICA_SUBNET_PREFIX } from './constants.ts'
import { safeNodeName } from './container-spec.ts'

/** An IPv4 network: its first address as an unsigned 32-bit number, and its prefix length. */
export interface Cidr { base: number, prefix: number }

/** The addresses of one replica network. */
export interface SubnetLayout {
  subnet: string
  /** Where Docker takes container addresses from: the subnet's first /22. */
  ipRange: string
  /** The subnet's first address: the bridge's own address on the host. */
  gateway: string
  /** Every address after the /22 up to the one before the broadcast address. */
  serviceRange: { first: string, last: string }
}

// Ranges no bridge may take: "this" network, loopback, link-local, multicast and reserved.
const UNUSABLE = ['0.0.0.0/8', '127.0.0.0/8', '169.254.0.0/16', '224.0.0.0/3']

/** Docker's name of a node's replica network: meshd-<node>, with the node name made safe as container names make it. */
export function replicaNetworkName (nodeName: string): string {
  return `meshd-${safeNodeName(nodeName)}`
}

/** The Linux bridge of a node's replica network: "msh" and 8 hex digits of a hash of the node name (≤ 15 characters). */
export function bridgeName (nodeName: string): string {
  return `${BRIDGE_NAME_PREFIX}${hashOf(nodeName).toString('hex').slice(0, 8)}`
}

/** An IPv4 address in dotted decimal as a number; undefined unless it is exactly four decimal octets. */
export function parseIpv4 (text: string): number | undefined {
  const octets = text.split('.')
  if (octets.length !== 4) return undefined
  let value = 0
  for (const octet of octets) {
    // No leading zeros: "010" is octal to some tools and decimal to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(octet) || Number(octet) > 255) return undefined
    value = value * 256 + Number(octet)
  }
  return value
}

/** A number as a dotted-decimal IPv4 address. */
export function formatIpv4 (value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.')
}

/** "a.b.c.d/n" as a Cidr (host bits kept as written); undefined when malformed. */
export function parseCidr (text: string): Cidr | undefined {
  const [address, length, ...rest] = text.split('/')
  const base = parseIpv4(address ?? '')
  if (base === undefined || length === undefined || rest.length > 0 || !/^(0|[1-9]\d?)$/.test(length)) return undefined
  const prefix = Number(length)
  return prefix > 32 ? undefined : { base, prefix }
}

/** Why a given subnet cannot be a replica network, in words naming it; undefined when it can. */
export function subnetProblem (subnet: string): string | undefined {
  const cidr = parseCidr(subnet)
  if (cidr === undefined) return `"${subnet}" is not an IPv4 subnet in CIDR notation (like 10.211.16.0/20)`
  const network = (cidr.base & maskOf(cidr.prefix)) >>> 0
  if (network !== cidr.base) return `${subnet} has host bits set (the subnet is ${formatIpv4(network)}/${cidr.prefix})`
  if (cidr.prefix >= REPLICA_RANGE_PREFIX) {
    return `${subnet} is too small: a replica network needs at least a /${REPLICA_RANGE_PREFIX - 1} (its first /${REPLICA_RANGE_PREFIX} for containers, the rest for service addresses)`
  }
  if (cidr.prefix < MIN_GIVEN_SUBNET_PREFIX) return `${subnet} is too large: a replica network is at most a /${MIN_GIVEN_SUBNET_PREFIX}`
  const reserved = UNUSABLE.find(range => subnetsOverlap(subnet, range))
  if (reserved !== undefined) return `${subnet} overlaps ${reserved}, which no bridge can use`
  return undefined
}

/** The gateway, container range and service range of a valid replica subnet (subnetProblem says it is). */
export function subnetLayout (subnet: string): SubnetLayout {
  const cidr = parseCidr(subnet)
  if (cidr === undefined) throw new TypeError(`not a subnet: ${subnet}`)
  const size = 2 ** (32 - cidr.prefix)
  return {
    subnet,
    ipRange: `${formatIpv4(cidr.base)}/${REPLICA_RANGE_PREFIX}`,
    gateway: formatIpv4(cidr.base + 1),
    serviceRange: { first: formatIpv4(cidr.base + 2 ** (32 - REPLICA_RANGE_PREFIX)), last: formatIpv4(cidr.base + size - 2) }
  }
}

/**
 * Every /20 of the pool, in the order a node tries them: from a slot hashed from its name,
 * then the next ones, wrapping around; so nodes sharing an engine or a LAN rarely collide.
 */
export function poolSubnets (nodeName: string, pool = REPLICA_POOL, prefix = REPLICA_SUBNET_PREFIX): string[] {
  const cidr = parseCidr(pool)
  if (cidr === undefined || prefix < cidr.prefix) throw new TypeError(`cannot cut /${prefix}s out of ${pool}`)
  const count = 2 ** (prefix - cidr.prefix)
  const first = hashOf(nodeName).readUInt32BE(0) % count
  return Array.from({ length: count }, (_, i) => `${formatIpv4(cidr.base + ((first + i) % count) * 2 ** (32 - prefix))}/${prefix}`)
}

/** True when two subnets share an address; false when either is not an IPv4 subnet (an IPv6 network overlaps none of ours). */
export function subnetsOverlap (a: string, b: string): boolean {
  const x = parseCidr(a)
  const y = parseCidr(b)
  if (x === undefined || y === undefined) return false
  // Two CIDR blocks overlap exactly when they agree on the shorter prefix.
  const mask = maskOf(Math.min(x.prefix, y.prefix))
  return ((x.base & mask) >>> 0) === ((y.base & mask) >>> 0)
}

function maskOf (prefix: number): number {
  return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0
}

function hashOf (nodeName: string): Buffer {
  return createHash('sha256').update(nodeName).digest()
}
