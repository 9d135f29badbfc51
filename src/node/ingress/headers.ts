// What the ingress changes in the headers it passes on: pure. Hop-by-hop headers stop
// here (RFC 9110 §7.6.1: Connection and the fields it names, Keep-Alive, TE, Trailer,
// Upgrade unless upgrading, Proxy-Connection); X-Forwarded-For gets the client appended,
// X-Forwarded-Proto and -Host say how the client reached the ingress; every request
// carries an X-Request-Id (the client's, when valid) that the response echoes.

import { randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import { REQUEST_ID } from './constants.ts'

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'])

/** The host a Host header names, lower-case and without port, or undefined when absent or malformed. */
export function hostOf (header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const text = header.trim().toLowerCase()
  const host = text.startsWith('[') ? text.slice(0, text.indexOf(']') + 1) : text.replace(/:\d*$/, '')
  return /^[a-z0-9.[\]:-]{1,253}$/.test(host) ? host.replace(/\.$/, '') : undefined
}

/** The path of a request target, without query or fragment ("/" for an absolute-form or odd target). */
export function pathOf (url: string | undefined): string {
  if (url === undefined || !url.startsWith('/')) return '/'
  const end = url.search(/[?#]/)
  return end === -1 ? url : url.slice(0, end)
}

/** The client's X-Request-Id when it is a reasonable token, else a new UUID. */
export function requestIdOf (header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header
  return given !== undefined && REQUEST_ID.test(given) ? given : randomUUID()
}

/** How the client reached this ingress. */
export interface Forwarding {
  /** The client's address (IPv4-mapped IPv6 unwrapped). */
  client: string
  proto: 'http' | 'https'
  requestId: string
  /** A WebSocket (or other) upgrade: Connection and Upgrade are passed on. */
  upgrade?: boolean
}

/** The headers of the request to the upstream. */
export function upstreamHeaders (incoming: IncomingHttpHeaders, forwarding: Forwarding): OutgoingHttpHeaders {
  const headers = withoutHopByHop(incoming)
  const before = incoming['x-forwarded-for']
  const chain = (Array.isArray(before) ? before.join(', ') : before)?.trim()
  headers['x-forwarded-for'] = chain === undefined || chain === '' ? forwarding.client : `${chain}, ${forwarding.client}`
  headers['x-forwarded-proto'] = forwarding.proto
  if (incoming.host !== undefined) headers['x-forwarded-host'] = incoming.host
  headers['x-request-id'] = forwarding.requestId
  if (forwarding.upgrade === true && incoming.upgrade !== undefined) {
    headers.connection = 'upgrade'
    headers.upgrade = incoming.upgrade
  }
  return headers
}

/** The headers of the response to the client: the upstream's, less hop-by-hop, with the request id. */
export function downstreamHeaders (upstream: IncomingHttpHeaders, requestId: string): OutgoingHttpHeaders {
  const headers = withoutHopByHop(upstream)
  headers['x-request-id'] = requestId
  return headers
}

/** The client address as X-Forwarded-For shows it. */
export function clientAddress (remote: string | undefined): string {
  return (remote ?? '').replace(/^::ffff:/, '')
}

function withoutHopByHop (headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(String(headers.connection ?? '').toLowerCase().split(',').map((t) => t.trim()).filter((t) => t !== ''))
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue
    out[name] = value
  }
  return out
}
