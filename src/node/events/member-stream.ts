// One member's own events, read over its internal route (GET /v1/internal/events) as
// lines of JSON: its recent history, a `{"caughtUp":true}` line, then its events as
// they happen, with a blank line every PING_MS. The request carries a transfer ticket
// (member authentication, as the transfer channel); the connection binds to this node's
// own address. Every line is checked before it is believed: a member is not trusted blindly.

import type { ClientRequest, IncomingMessage } from 'node:http'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { constants as transfer } from '../transfer/index.ts'
import { INTERNAL_ROUTE, MAX_LINE_BYTES, PING_MS } from './constants.ts'
import { EVENT_KINDS } from './types.ts'
import type { EventFilter, MeshEvent } from './types.ts'

/** A member's API, from its node record. */
export interface MemberPeer { id: string, name: string, host: string, port: number, tls?: boolean }

export interface MemberStreamHandlers {
  event: (event: MeshEvent) => void
  /** The member's history has been sent; what follows is live. */
  caughtUp: () => void
  /** The stream ended or could not be opened (once). */
  closed: (why: string) => void
}

export interface MemberStreamInit {
  /** The ticket header value (a fresh one per request). */
  ticket: string
  localAddress?: string
}

const KINDS = new Set<string>(EVENT_KINDS)

/** The query of the internal route for `filter`. */
export function filterQuery (filter: EventFilter): string {
  const query = new URLSearchParams()
  if (filter.service !== undefined) query.set('service', filter.service)
  if (filter.since !== undefined) query.set('since', String(filter.since))
  const text = query.toString()
  return text === '' ? '' : `?${text}`
}

/** Opens a member's stream; returns the call that closes it (after which no handler is called). */
export function openMemberStream (peer: MemberPeer, filter: EventFilter, init: MemberStreamInit, handlers: MemberStreamHandlers): () => void {
  let done = false
  const finish = (why: string): void => {
    if (done) return
    done = true
    req.destroy()
    handlers.closed(why)
  }
  const options = {
    host: peer.host,
    port: peer.port,
    path: `${INTERNAL_ROUTE}${filterQuery(filter)}`,
    agent: false,
    headers: { [transfer.TICKET_HEADER]: init.ticket, accept: 'application/x-ndjson' },
    ...(init.localAddress === undefined ? {} : { localAddress: init.localAddress })
  }
  const req: ClientRequest = peer.tls === true ? httpsRequest({ ...options, rejectUnauthorized: false }) : httpRequest(options)
  // A member that stops sending, pings included, is gone (a machine that vanished leaves no reset).
  req.setTimeout(2 * PING_MS + 5000, () => { finish('no data') })
  req.on('error', (err) => { finish(err.message) })
  req.on('response', (res: IncomingMessage) => {
    if (res.statusCode !== 200) {
      finish(`answered ${res.statusCode ?? '?'}`)
      return
    }
    readLines(res, (line) => {
      if (done) return
      if (line === '') return
      const parsed = parseLine(line, peer.name)
      if (parsed === 'caughtUp') handlers.caughtUp()
      else if (parsed !== undefined) handlers.event(parsed)
    }, (why) => { finish(why) })
  })
  req.end()
  return () => {
    done = true
    req.destroy()
  }
}

function readLines (res: IncomingMessage, line: (text: string) => void, end: (why: string) => void): void {
  let buffer = ''
  res.setEncoding('utf8')
  res.on('data', (chunk: string) => {
    buffer += chunk
    let at: number
    while ((at = buffer.indexOf('\n')) >= 0) {
      line(buffer.slice(0, at))
      buffer = buffer.slice(at + 1)
    }
    if (buffer.length > MAX_LINE_BYTES) {
      res.destroy()
      end('a line too long')
    }
  })
  res.on('end', () => { end('stream ended') })
  res.on('error', (err) => { end(err.message) })
  res.on('close', () => { end('stream closed') })
}

/** A line of a member's stream: an event (checked, and from that member), the caught-up mark, or undefined (dropped). */
export function parseLine (line: string, member: string): MeshEvent | 'caughtUp' | undefined {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const event = value as Record<string, unknown>
  if (event.caughtUp === true) return 'caughtUp'
  if (typeof event.kind !== 'string' || !KINDS.has(event.kind) || typeof event.message !== 'string' ||
    !Number.isSafeInteger(event.id) || typeof event.time !== 'number' || !Number.isFinite(event.time) || event.node !== member) return undefined
  return event as unknown as MeshEvent
}
