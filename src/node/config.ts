// Daemon configuration from the command line, validated before anything starts.

import { readFileSync } from 'node:fs'
import { isIPv4 } from 'node:net'
import { availableParallelism, homedir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import type { NodeRecord } from '../crdt/index.ts'
import { constants as proxyConstants } from '../proxy/index.ts'
import { DEFAULT_API_PORT, DEFAULT_HTTP_PORT, DEFAULT_HTTPS_PORT, DEFAULT_MESH_PORT, DEFAULT_P2P_PORT } from './constants.ts'
import { REAP_AFTER_MS } from './cluster/index.ts'
import { parseDuration } from './spec/index.ts'

export interface DaemonConfig {
  name: string
  host: string
  dataDir: string
  apiPort: number
  p2pPort: number
  labels: Record<string, string>
  /** What this node offers to placement: cpus, memory in bytes. */
  capacity: { cpus: number, memory: number }
  /** Names clients may use for this node in the Host header (--api-host-name). */
  apiHostNames: string[]
  /** Browser origins allowed to call the API (--api-allow-origin). */
  apiAllowOrigins: string[]
  /** PEM certificate and key of an HTTPS API. */
  apiTls?: { cert: Buffer, key: Buffer }
  /** Peers to join: "host:port" or multiaddrs. */
  join: string[]
  /** The cluster secret as a join token (from `meshd join-token`), when joining. */
  secret?: string
  /** Find peers on the LAN by mDNS (default: on unless host is loopback). */
  mdns: boolean
  /** The routing mesh closes a connection idle this long (ms). */
  meshIdleTimeoutMs: number
  /** Services may publish ports below 1024. */
  allowLowPorts: boolean
  /** GET /metrics answers without a token. */
  metricsPublic: boolean
  /** Members dead this long are removed for good (ms). */
  reapAfterMs: number
  /** Where other nodes' meshes reach this node's replicas. */
  meshPort: number
  /** The ingress's HTTP and HTTPS ports on host; 0: that server is off. */
  httpPort: number
  httpsPort: number
  /** The replica network's subnet (an IPv4 /20 or larger); chosen by the node when absent. */
  replicaSubnet?: string
  /** Resolvers the node's DNS forwards names outside meshd to; default the host's. */
  dnsForward?: Array<{ host: string, port: number }>
  /** The ACME CA that issues the ingress' TLS certificates (--acme-directory, --acme-email, --acme-ca-file); none without it. */
  acme?: { directory: string, email?: string, ca?: string }
}

const DNS_LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/

export interface RawDaemonOptions {
  name?: string
  host?: string
  dataDir?: string
  apiPort?: string | number
  p2pPort?: string | number
  label?: string[]
  capacity?: string
  apiHostName?: string[]
  apiAllowOrigin?: string[]
  apiTlsCert?: string
  apiTlsKey?: string
  join?: string[]
  secret?: string
  secretFile?: string
  mdns?: boolean
  meshIdleTimeout?: string
  allowLowPorts?: boolean
  metricsPublic?: boolean
  reapAfter?: string
  meshPort?: string | number
  httpPort?: string | number
  httpsPort?: string | number
  replicaSubnet?: string
  dnsForward?: string[]
  acmeDirectory?: string
  acmeEmail?: string
  acmeCaFile?: string
}

/** Validates raw start options; throws an Error naming the bad option. */
export function parseDaemonConfig (raw: RawDaemonOptions): DaemonConfig {
  const name = raw.name ?? ''
  if (!DNS_LABEL.test(name)) throw new Error(`--name: expected a DNS label (lowercase letters, digits and '-', ≤ 63, starting with a letter), got "${name}"`)
  const host = raw.host ?? '127.0.0.1'
  if (!isIPv4(host)) throw new Error(`--host: expected an IPv4 address, got "${host}"`)
  if (raw.dataDir === '') throw new Error('--data-dir: expected a directory')
  const labels: Record<string, string> = {}
  for (const entry of raw.label ?? []) {
    const at = entry.indexOf('=')
    if (at <= 0) throw new Error(`--label: expected K=V, got "${entry}"`)
    labels[entry.slice(0, at)] = entry.slice(at + 1)
  }
  return {
    name,
    host,
    dataDir: resolve(raw.dataDir ?? defaultDataDir()),
    apiPort: port('--api-port', raw.apiPort ?? DEFAULT_API_PORT),
    p2pPort: port('--p2p-port', raw.p2pPort ?? DEFAULT_P2P_PORT),
    labels,
    capacity: parseCapacity(raw.capacity),
    apiHostNames: (raw.apiHostName ?? []).map(hostName),
    apiAllowOrigins: (raw.apiAllowOrigin ?? []).map(origin),
    ...tlsOption(raw),
    join: (raw.join ?? []).map(joinAddress),
    ...secretOption(raw),
    // A node on loopback cannot be reached from the LAN, and its multicast would leave the machine for nothing.
    mdns: raw.mdns ?? !isLoopback(host),
    meshIdleTimeoutMs: meshIdleTimeout(raw.meshIdleTimeout),
    allowLowPorts: raw.allowLowPorts === true,
    metricsPublic: raw.metricsPublic === true,
    reapAfterMs: durationOption('--reap-after', raw.reapAfter, REAP_AFTER_MS),
    meshPort: port('--mesh-port', raw.meshPort ?? DEFAULT_MESH_PORT),
    httpPort: ingressPort('--http-port', raw.httpPort ?? DEFAULT_HTTP_PORT),
    httpsPort: ingressPort('--https-port', raw.httpsPort ?? DEFAULT_HTTPS_PORT),
    ...(raw.replicaSubnet === undefined ? {} : { replicaSubnet: subnet(raw.replicaSubnet) }),
    ...(raw.dnsForward === undefined ? {} : { dnsForward: raw.dnsForward.map(resolverAddress) }),
    ...acmeOption(raw)
  }
}

function acmeOption (raw: RawDaemonOptions): Pick<DaemonConfig, 'acme'> {
  if (raw.acmeDirectory === undefined) {
    if (raw.acmeEmail !== undefined || raw.acmeCaFile !== undefined) throw new Error('--acme-email, --acme-ca-file: need --acme-directory')
    return {}
  }
  let url: URL | undefined
  try { url = new URL(raw.acmeDirectory) } catch {}
  if (url?.protocol !== 'https:') throw new Error(`--acme-directory: expected the https:// URL of an ACME directory, got "${raw.acmeDirectory}"`)
  if (raw.acmeEmail !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(raw.acmeEmail)) throw new Error(`--acme-email: expected an email address, got "${raw.acmeEmail}"`)
  let ca: string | undefined
  if (raw.acmeCaFile !== undefined) {
    try { ca = readFileSync(raw.acmeCaFile, 'utf8') } catch (err) { throw new Error(`--acme-ca-file: cannot read ${raw.acmeCaFile}: ${(err as Error).message}`) }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`--acme-ca-file: ${raw.acmeCaFile} holds no PEM certificate`)
  }
  return { acme: { directory: url.toString(), ...(raw.acmeEmail === undefined ? {} : { email: raw.acmeEmail }), ...(ca === undefined ? {} : { ca }) } }
}

function resolverAddress (text: string): { host: string, port: number } {
  const [host = '', portText = '53'] = text.trim().split(':')
  if (!isIPv4(host)) throw new Error(`--dns-forward: expected IPV4[:PORT] such as "10.0.0.2" or "127.0.0.53:5353", got "${text}"`)
  return { host, port: port('--dns-forward', portText) }
}

function subnet (text: string): string {
  const match = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(text.trim())
  if (match === null || !isIPv4(match[1]!) || Number(match[2]) < 8 || Number(match[2]) > 20) {
    throw new Error(`--replica-subnet: expected an IPv4 subnet of /20 or larger such as "10.211.16.0/20", got "${text}"`)
  }
  return text.trim()
}

function durationOption (flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  try {
    const ms = parseDuration(text)
    if (ms >= 1000) return ms
  } catch {}
  throw new Error(`${flag}: expected a duration of at least 1s such as "24h" or "30m", got "${text}"`)
}

function meshIdleTimeout (text: string | undefined): number {
  if (text === undefined) return proxyConstants.IDLE_TIMEOUT_MS
  try {
    const ms = parseDuration(text)
    if (ms >= 1) return ms
  } catch {}
  throw new Error(`--mesh-idle-timeout: expected a duration such as "30s" or "5m", got "${text}"`)
}

/** True for 127.0.0.0/8. */
export function isLoopback (host: string): boolean {
  return host.startsWith('127.')
}

const MEMORY_UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }

/** "cpus=2,memory=4G" (either part may be left out) over the machine's own figures. */
export function parseCapacity (text: string | undefined): { cpus: number, memory: number } {
  const capacity = { cpus: availableParallelism(), memory: totalmem() }
  for (const part of (text ?? '').split(',').filter((p) => p.trim() !== '')) {
    const [key = '', value = ''] = part.split('=').map((p) => p.trim())
    if (key === 'cpus' && Number(value) > 0) capacity.cpus = Number(value)
    else if (key === 'memory' && /^\d+(\.\d+)?[kmgt]?i?b?$/i.test(value)) {
      const unit = /[kmgt]/i.exec(value)?.[0]?.toLowerCase() ?? ''
      capacity.memory = Math.round(parseFloat(value) * (MEMORY_UNITS[unit] ?? 1))
    } else {
      throw new Error(`--capacity: expected cpus=N,memory=SIZE (e.g. cpus=2,memory=4G), got "${part}"`)
    }
  }
  return capacity
}

/** "host:port" or a multiaddr; throws naming --join otherwise. */
function joinAddress (text: string): string {
  if (text.startsWith('/')) return text
  const at = text.lastIndexOf(':')
  const host = text.slice(0, at)
  if (at <= 0 || !isIPv4(host)) throw new Error(`--join: expected HOST:PORT with an IPv4 host, or a multiaddr, got "${text}"`)
  port('--join', text.slice(at + 1))
  return text
}

/** Where a node keeps its data unless --data-dir says otherwise: MESHD_DATA_DIR, /var/lib/meshd for root, else ~/.local/share/meshd. */
export function defaultDataDir (): string {
  const fromEnv = process.env.MESHD_DATA_DIR
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  return process.getuid?.() === 0 ? '/var/lib/meshd' : join(homedir(), '.local', 'share', 'meshd')
}

function hostName (text: string): string {
  const name = text.trim().toLowerCase()
  if (!/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(name)) throw new Error(`--api-host-name: expected a DNS name such as "node-1.example.com", got "${text}"`)
  return name
}

function origin (text: string): string {
  try {
    const url = new URL(text)
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text.replace(/\/$/, '')) return url.origin
  } catch {}
  throw new Error(`--api-allow-origin: expected an origin such as "https://ops.example.com", got "${text}"`)
}

function tlsOption (raw: RawDaemonOptions): { apiTls?: { cert: Buffer, key: Buffer } } {
  if (raw.apiTlsCert === undefined && raw.apiTlsKey === undefined) return {}
  if (raw.apiTlsCert === undefined || raw.apiTlsKey === undefined) throw new Error('--api-tls-cert and --api-tls-key: give both')
  const read = (flag: string, path: string): Buffer => {
    try {
      return readFileSync(path)
    } catch (err) {
      throw new Error(`${flag}: cannot read ${path}: ${(err as Error).message}`)
    }
  }
  return { apiTls: { cert: read('--api-tls-cert', raw.apiTlsCert), key: read('--api-tls-key', raw.apiTlsKey) } }
}

/** The join token: --secret-file, --secret (it shows in ps: avoid it), or MESHD_SECRET. */
function secretOption (raw: RawDaemonOptions): { secret?: string } {
  if (raw.secret !== undefined && raw.secretFile !== undefined) throw new Error('--secret and --secret-file: give only one')
  if (raw.secretFile !== undefined) {
    try {
      return { secret: readFileSync(raw.secretFile, 'utf8').trim().split('\n').at(-1)?.trim() ?? '' }
    } catch (err) {
      throw new Error(`--secret-file: cannot read ${raw.secretFile}: ${(err as Error).message}`)
    }
  }
  const secret = raw.secret ?? process.env.MESHD_SECRET
  return secret === undefined || secret.trim() === '' ? {} : { secret: secret.trim() }
}

/** A port, or 0 for none. */
function ingressPort (option: string, value: string | number): number {
  return Number(value) === 0 && String(value).trim() !== '' ? 0 : port(option, value)
}

function port (option: string, value: string | number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${option}: expected a port between 1 and 65535, got "${value}"`)
  return n
}

/** The record a node files about itself when it starts. */
export function nodeRecord (config: DaemonConfig, now: number): NodeRecord {
  const { name, host, apiPort, p2pPort, labels, capacity, meshPort } = config
  const ingressPorts = [config.httpPort, config.httpsPort].filter((port) => port > 0)
  return { name, host, apiPort, p2pPort, labels, capacity, draining: false, startedAt: now, meshPort, ...(ingressPorts.length === 0 ? {} : { ingressPorts }) }
}
