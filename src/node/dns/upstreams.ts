// Which resolvers the server forwards to when the caller names none: the host's, from
// resolv.conf. A loopback resolver is left out: the replicas cannot share it, and a
// forwarder pointed at a loopback stub is how DNS loops start (Docker's rule too); when
// only systemd-resolved's stub is listed, its own upstream list is read instead.

import { readFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { RESOLV_CONF, SYSTEMD_RESOLV_CONF } from './constants.ts'

/** A resolver to forward to. */
export interface Upstream {
  host: string
  port: number
}

/** The nameserver addresses of a resolv.conf text, in order (zone ids of link-local IPv6 addresses dropped). */
export function parseResolvConf (text: string): string[] {
  const servers: string[] = []
  for (const line of text.split('\n')) {
    const [keyword, address] = line.trim().split(/\s+/)
    if (keyword !== 'nameserver' || address === undefined) continue
    const host = address.split('%')[0]!
    if (isIP(host) !== 0) servers.push(host)
  }
  return servers
}

/** True for an address that means this host: 127.0.0.0/8, ::1, IPv4-mapped 127/8, and the unspecified addresses (glibc reads them as loopback). */
export function isLoopback (host: string): boolean {
  const lower = host.toLowerCase()
  return lower === '::1' || lower === '0.0.0.0' || lower === '::' || lower.startsWith('127.') || lower.startsWith('::ffff:127.')
}

/** The forwardable nameservers of a resolv.conf text: not loopback, not in `exclude` (the server's own address). */
export function forwardable (text: string, exclude: readonly string[] = []): Upstream[] {
  return parseResolvConf(text)
    .filter((host) => !isLoopback(host) && !exclude.includes(host))
    .map((host) => ({ host, port: 53 }))
}

/**
 * The host's upstreams: resolv.conf's forwardable nameservers, else systemd-resolved's
 * list (when resolv.conf names only its stub), else none. Files that cannot be read
 * count as empty.
 */
export async function hostUpstreams (exclude: readonly string[] = [], paths: { resolvConf: string, fallback: string } = { resolvConf: RESOLV_CONF, fallback: SYSTEMD_RESOLV_CONF }): Promise<Upstream[]> {
  const primary = forwardable(await readOrEmpty(paths.resolvConf), exclude)
  if (primary.length > 0) return primary
  return forwardable(await readOrEmpty(paths.fallback), exclude)
}

async function readOrEmpty (path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return ''
  }
}
