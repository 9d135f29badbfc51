// The hop between two nodes' meshes: a connection to a peer's mesh port starts with one
// header naming the replica it is for, who asked, and the client's address (for a
// PROXY header written there), authenticated with a key derived from the cluster
// secret. One HMAC per connection, no per-byte crypto: the header proves the dialler
// is a member; what follows is the service's own bytes. A timestamp and a nonce make a
// recorded header useless elsewhere and later.
//
// Layout: "MSH1" | u16 payload length | payload (JSON) | HMAC-SHA256(key, payload).

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { MESH_CLOCK_SKEW_MS, MESH_HEADER_MAX_BYTES } from './constants.ts'
import type { RouteContext } from './context.ts'
import type { MeshTarget } from './endpoint.ts'

const MAGIC = Buffer.from('MSH1')
const MAC_BYTES = 32

/** What a mesh hop asks of the peer's mesh. */
export interface MeshRequest {
  service: string
  /** A slot's own replica (a slot address); absent: any healthy replica of the service there. */
  slot?: number
  /** The replica port. */
  port: number
  /** Who connected at the first node: a service name or "external". */
  source: string
  /** The client at the first node, for a PROXY header; absent when none is wanted. */
  client?: { address: string, port: number }
}

interface Payload extends MeshRequest { ts: number, nonce: string }

/** The header that opens a hop for `request`, now. */
export function encodeMeshHeader (key: Buffer, request: MeshRequest, now = Date.now()): Buffer {
  const payload = Buffer.from(JSON.stringify({ ...request, ts: now, nonce: randomBytes(12).toString('base64') } satisfies Payload))
  const length = Buffer.allocUnsafe(2)
  length.writeUInt16BE(payload.byteLength)
  return Buffer.concat([MAGIC, length, payload, createHmac('sha256', key).update(payload).digest()])
}

/** The header a connection of `route` from `source` (client `from`) sends to reach `via`. */
export function hopHeader (route: RouteContext, via: MeshTarget, source: string, from: { address: string, port: number }): Buffer {
  if (route.meshKey === undefined) throw new Error(`route of ${route.service} has an endpoint behind a mesh port but no mesh key`)
  return encodeMeshHeader(route.meshKey, { service: via.service, port: via.port, ...(via.slot === undefined ? {} : { slot: via.slot }), source, ...(route.proxyProtocol ? { client: from } : {}) })
}

/** Why a header is refused. */
export class MeshHeaderError extends Error {
  override readonly name = 'MeshHeaderError'
}

/**
 * Reads a header from the start of `buffer`: undefined while it is incomplete, else the
 * request and how many bytes it took. Throws MeshHeaderError for a bad one.
 */
export function decodeMeshHeader (buffer: Buffer, key: Buffer, seen: NonceCache, now = Date.now()): { request: MeshRequest, bytes: number } | undefined {
  if (buffer.byteLength < MAGIC.byteLength) return MAGIC.subarray(0, buffer.byteLength).equals(buffer) ? undefined : refuse('not a mesh hop')
  if (!buffer.subarray(0, MAGIC.byteLength).equals(MAGIC)) refuse('not a mesh hop')
  if (buffer.byteLength < 6) return undefined
  const length = buffer.readUInt16BE(4)
  if (length + 6 + MAC_BYTES > MESH_HEADER_MAX_BYTES) refuse('header too large')
  const end = 6 + length + MAC_BYTES
  if (buffer.byteLength < end) return undefined
  const payload = buffer.subarray(6, 6 + length)
  const mac = buffer.subarray(6 + length, end)
  if (!timingSafeEqual(mac, createHmac('sha256', key).update(payload).digest())) refuse('bad signature (not a member of this cluster?)')
  let parsed: Payload
  try {
    parsed = JSON.parse(payload.toString('utf8')) as Payload
  } catch {
    return refuse('unreadable payload')
  }
  if (typeof parsed.ts !== 'number' || Math.abs(now - parsed.ts) > MESH_CLOCK_SKEW_MS) refuse('stale or future timestamp (are the nodes\' clocks apart?)')
  if (typeof parsed.nonce !== 'string' || !seen.add(parsed.nonce, now)) refuse('replayed')
  if (typeof parsed.service !== 'string' || !Number.isInteger(parsed.port) || typeof parsed.source !== 'string' ||
    (parsed.slot !== undefined && !Number.isInteger(parsed.slot))) refuse('malformed request')
  const { service, slot, port, source, client } = parsed
  return { request: { service, port, source, ...(slot === undefined ? {} : { slot }), ...(validClient(client) ? { client } : {}) }, bytes: end }
}

function validClient (client: unknown): client is { address: string, port: number } {
  const c = client as { address?: unknown, port?: unknown } | undefined
  return typeof c?.address === 'string' && Number.isInteger(c.port)
}

function refuse (why: string): never {
  throw new MeshHeaderError(why)
}

/** Nonces seen within the clock window; a nonce comes once. Bounded: the oldest go first. */
export class NonceCache {
  private readonly expiry = new Map<string, number>()
  private readonly limit: number

  constructor (limit: number) {
    this.limit = limit
  }

  /** Remembers `nonce`; false when it was already seen. */
  add (nonce: string, now: number): boolean {
    if (this.expiry.has(nonce)) return false
    if (this.expiry.size >= this.limit) {
      for (const [old, until] of this.expiry) {
        if (until > now && this.expiry.size < this.limit) break
        this.expiry.delete(old)
      }
    }
    this.expiry.set(nonce, now + 2 * MESH_CLOCK_SKEW_MS)
    return true
  }
}
