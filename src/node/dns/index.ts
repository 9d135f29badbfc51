/**
 * The DNS server a node runs for its replicas, on the replica network's gateway.
 *
 * - Names under `meshd` are answered here, with authority, from a NameTable the caller
 *   builds from the cluster's view (`nameTable`): `db` and `db.meshd` → the service's
 *   address, `db-0` and `db-0.meshd` → the address of exactly slot 0's replica. A
 *   questions get A records (TTL 5 s); other types NODATA; unknown names NXDOMAIN;
 *   both negatives carry the zone's SOA (negative TTL 2 s). Names are case-insensitive.
 * - Every other name is forwarded to the upstream resolvers (default: the host's
 *   resolv.conf without loopback stubs) within 2 s, else SERVFAIL; a truncated upstream
 *   answer is retried over TCP for TCP clients and passed on to UDP clients.
 * - Bounded: UDP answers per source (over the rate, an empty TC response now and then,
 *   else nothing: no amplification), UDP answer size (512 without EDNS, ≤ 1232 with),
 *   forwards in flight, TCP connections. Malformed messages are dropped.
 * - `resolve(question, table)` is the pure decision, usable without the server.
 *
 * @example
 * ```ts
 * let table = nameTable([{ service: 'db', address: '10.213.0.2', slots: [{ slot: 0, address: '10.213.1.7' }] }])
 * const dns = dnsServer({ host: '10.213.0.1', table: () => table, log })
 * await dns.start()
 * document.on('change', () => { table = nameTable(addressesOf(view())) }) // the caller's addresses
 * ```
 */

import { DnsServer } from './server.ts'
import type { DnsServerInit } from './server.ts'

/** A DNS server on init.host, not started. */
export function dnsServer (init: DnsServerInit): DnsServer {
  return new DnsServer(init)
}

export { DnsServer }
export type { DnsServerInit, DnsStats } from './server.ts'
export { resolve } from './resolver.ts'
export type { Resolution, ResolveOptions } from './resolver.ts'
export { nameTable, canonicalName } from './table.ts'
export type { BuiltNameTable, NameTable, ServiceNames } from './table.ts'
export { hostUpstreams, parseResolvConf } from './upstreams.ts'
export type { Upstream } from './upstreams.ts'
export * as constants from './constants.ts'
