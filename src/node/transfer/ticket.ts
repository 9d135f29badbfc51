// The ticket that opens a transfer request in place of a bearer token: which resource,
// which way, who asks, when, and a random nonce, with an HMAC-SHA256 under the transfer
// key. Only a member holds the key; the time and the nonce make a recorded ticket useless
// later or twice. The nonce is also the salt of the request's stream key (key.ts).
//
// Header value: base64url(JSON payload) "." base64url(HMAC(key, DOMAIN + that text)).

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { CLOCK_SKEW_MS, REPLAY_LIMIT, REPLAY_WINDOW_MS, RESOURCE_MAX_BYTES, TICKET_MAX_BYTES } from './constants.ts'
import type { Direction } from './key.ts'

const DOMAIN = 'meshd-transfer-ticket/1\n'
const NONCE_BYTES = 16
const SEGMENT = /^[A-Za-z0-9_.-]{1,128}$/
const KIND = /^[a-z][a-z0-9-]{0,31}$/
const NODE = /^[A-Za-z0-9_.-]{1,128}$/

export interface Ticket {
  op: Direction
  resource: string
  /** The caller's node id. */
  node: string
  /** When the caller made it (ms since the epoch). */
  at: number
  nonce: Buffer
}

/** True for a resource like `volume/db/0/data`: 2–8 segments of [A-Za-z0-9_.-] (never `.` or `..`), a lower-case kind first, ≤ 256 bytes. */
export function validResource (resource: string): boolean {
  if (resource.length > RESOURCE_MAX_BYTES) return false
  const segments = resource.split('/')
  if (segments.length < 2 || segments.length > 8 || !KIND.test(segments[0] ?? '')) return false
  return segments.every((segment) => SEGMENT.test(segment) && segment !== '.' && segment !== '..')
}

/** The kind of a valid resource: its first segment (`volume`). */
export function kindOf (resource: string): string {
  return resource.slice(0, resource.indexOf('/'))
}

/** A new ticket for `op` of `resource` by node `node`, and its header value. */
export function issueTicket (key: Buffer, op: Direction, resource: string, node: string, now = Date.now()): { ticket: Ticket, header: string } {
  if (!validResource(resource)) throw new TypeError(`resource: "${resource}" is not a transfer resource (segments of [A-Za-z0-9_.-], a kind first)`)
  if (!NODE.test(node)) throw new TypeError(`node: "${node}" is not a node id`)
  const ticket: Ticket = { op, resource, node, at: now, nonce: randomBytes(NONCE_BYTES) }
  const payload = Buffer.from(JSON.stringify({ v: 1, op, resource, node, at: now, nonce: ticket.nonce.toString('base64url') })).toString('base64url')
  return { ticket, header: `${payload}.${macOf(key, payload).toString('base64url')}` }
}

/** Why a ticket is refused: a short reason, safe to answer (it names nothing secret). */
export class TicketRefused extends Error {
  override readonly name = 'TicketRefused'
}

/**
 * The ticket in `header` for `op` of `resource` (the URL's); throws TicketRefused for a
 * missing, forged, stale, replayed or mismatched one. Remembers its nonce in `seen`.
 */
export function checkTicket (key: Buffer, header: unknown, op: Direction, resource: string, seen: ReplayGuard, now = Date.now()): Ticket {
  if (!validResource(resource)) refuse('not a transfer resource')
  if (typeof header !== 'string' || header.length === 0) refuse('no transfer ticket')
  if (header.length > TICKET_MAX_BYTES) refuse('ticket too large')
  const [payload = '', mac = '', ...rest] = header.split('.')
  const expected = macOf(key, payload)
  const given = Buffer.from(mac, 'base64url')
  if (rest.length > 0 || given.byteLength !== expected.byteLength || !timingSafeEqual(given, expected)) refuse('bad signature (not a member of this cluster?)')
  const parsed = parse(payload)
  if (parsed.op !== op) refuse(`ticket is for a ${parsed.op}, not a ${op}`)
  if (parsed.resource !== resource) refuse('ticket is for another resource')
  if (Math.abs(now - parsed.at) > CLOCK_SKEW_MS) refuse('stale or future ticket (are the nodes\' clocks apart?)')
  const verdict = seen.add(parsed.nonce.toString('base64url'), now)
  if (verdict !== 'new') refuse(verdict === 'seen' ? 'replayed ticket' : 'too many transfers; retry in a minute')
  return parsed
}

function parse (payload: string): Ticket {
  let fields: Record<string, unknown>
  try {
    fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
  } catch {
    return refuse('unreadable ticket')
  }
  const { v, op, resource, node, at, nonce } = fields ?? {}
  const bytes = typeof nonce === 'string' ? Buffer.from(nonce, 'base64url') : Buffer.alloc(0)
  if (v !== 1 || (op !== 'pull' && op !== 'push') || typeof resource !== 'string' || typeof node !== 'string' || !NODE.test(node) ||
    typeof at !== 'number' || !Number.isFinite(at) || bytes.byteLength !== NONCE_BYTES) refuse('malformed ticket')
  return { op, resource, node, at, nonce: bytes }
}

function macOf (key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(DOMAIN).update(payload).digest()
}

function refuse (why: string): never {
  throw new TicketRefused(why)
}

/** Nonces seen in the last REPLAY_WINDOW_MS. Bounded: when full of live nonces it refuses new ones rather than forget one early. */
export class ReplayGuard {
  private readonly expiry = new Map<string, number>()
  private readonly limit: number

  constructor (limit = REPLAY_LIMIT) {
    this.limit = limit
  }

  /** Remembers `nonce`: 'new', 'seen' (a replay) or 'full'. */
  add (nonce: string, now: number): 'new' | 'seen' | 'full' {
    // Insertion order is expiry order (the window is constant): sweep from the oldest.
    for (const [old, until] of this.expiry) {
      if (until > now) break
      this.expiry.delete(old)
    }
    if (this.expiry.has(nonce)) return 'seen'
    if (this.expiry.size >= this.limit) return 'full'
    this.expiry.set(nonce, now + REPLAY_WINDOW_MS)
    return 'new'
  }
}
