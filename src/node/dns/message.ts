// DNS messages as the server sees them: a query decoded and checked, and each kind of
// response it sends, all encoded by dns-packet. The wire format is dns-packet's; this
// file only chooses flags, sections and sizes.

import { AUTHORITATIVE_ANSWER, CHECKING_DISABLED, RECURSION_AVAILABLE, RECURSION_DESIRED, TRUNCATED_RESPONSE, decode, encode } from 'dns-packet'
import type { Answer, DecodedPacket, OptAnswer, Packet, Question } from 'dns-packet'
import { CLASSIC_UDP_PAYLOAD, MAX_UDP_PAYLOAD } from './constants.ts'
import type { Resolution } from './resolver.ts'

/** A query worth answering: its header and its one question, and its EDNS record if any. */
export interface Query {
  id: number
  flags: number
  question: Question
  questions: Question[]
  edns?: OptAnswer
}

/** Why a decodable query gets an error without an answer: FORMERR for other than one question, NOTIMP for other than a standard query. */
export interface QueryProblem {
  rcode: 'FORMERR' | 'NOTIMP'
  id: number
  flags: number
  questions: Question[]
  edns?: OptAnswer
}

/** The rcodes the server sets itself (the low four bits of the flags). */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const
export type Rcode = keyof typeof RCODE

const QR = 0x8000
const OPCODE_MASK = 0x7800

/**
 * A received message as a query: undefined when it is not one to answer at all (does not
 * decode, or is a response: answering responses is how two servers loop), a problem
 * when it decodes but is not one standard query with one question.
 */
export function parseQuery (message: Buffer): Query | QueryProblem | undefined {
  if (message.length < 12 || (message.readUInt16BE(2) & QR) !== 0) return undefined
  let decoded: DecodedPacket
  try {
    decoded = decode(message)
  } catch {
    return undefined
  }
  const id = decoded.id ?? 0
  const flags = decoded.flags ?? 0
  const questions = decoded.questions ?? []
  const edns = (decoded.additionals ?? []).find((record): record is OptAnswer => record.type === 'OPT')
  const base = { id, flags, questions, ...(edns === undefined ? {} : { edns }) }
  if ((flags & OPCODE_MASK) !== 0) return { rcode: 'NOTIMP', ...base }
  const question = questions[0]
  if (questions.length !== 1 || question === undefined) return { rcode: 'FORMERR', ...base }
  return { ...base, question }
}

/** True when parseQuery found a query to resolve rather than a problem. */
export function isQuery (parsed: Query | QueryProblem): parsed is Query {
  return !('rcode' in parsed)
}

/** The response to a query answered here, with authority. */
export function localResponse (query: Query, resolution: Extract<Resolution, { forward: false }>, recursion: boolean): Buffer {
  return respond(query, RCODE[resolution.rcode] | AUTHORITATIVE_ANSWER, recursion, {
    answers: resolution.answers,
    authorities: resolution.authorities
  })
}

/** An empty response with `rcode`: SERVFAIL when no upstream answered, FORMERR, NOTIMP, REFUSED. */
export function errorResponse (query: Query | QueryProblem, rcode: Rcode, recursion: boolean): Buffer {
  return respond(query, RCODE[rcode], recursion, {})
}

/**
 * The query's question back with TC set and nothing else: tells a UDP client to ask
 * again over TCP. Never larger than the query plus an OPT record.
 */
export function truncatedResponse (query: Query, recursion: boolean, authoritative: boolean): Buffer {
  return respond(query, TRUNCATED_RESPONSE | (authoritative ? AUTHORITATIVE_ANSWER : 0), recursion, {})
}

/** The largest UDP response this client takes: 512 without EDNS, else its advertised size within [512, MAX_UDP_PAYLOAD]. */
export function udpLimit (query: Query): number {
  if (query.edns === undefined) return CLASSIC_UDP_PAYLOAD
  return Math.max(CLASSIC_UDP_PAYLOAD, Math.min(query.edns.udpPayloadSize, MAX_UDP_PAYLOAD))
}

/** A copy of a message with another id (the first two bytes). */
export function withId (message: Buffer, id: number): Buffer {
  const copy = Buffer.from(message)
  copy.writeUInt16BE(id, 0)
  return copy
}

/** The rcode and TC bit of a response from upstream, or undefined when it is not the response to (id, question). */
export function upstreamVerdict (response: Buffer, id: number, question: Question): { rcode: number, truncated: boolean } | undefined {
  if (response.length < 12 || response.readUInt16BE(0) !== id || (response.readUInt16BE(2) & QR) === 0) return undefined
  let decoded: DecodedPacket
  try {
    decoded = decode(response)
  } catch {
    return undefined
  }
  const asked = decoded.questions?.[0]
  // Case-insensitive: a resolver may randomise the case of names (0x20) or lowercase them.
  if (asked === undefined || asked.type !== question.type || asked.name.toLowerCase() !== question.name.toLowerCase()) return undefined
  return { rcode: (decoded.flags ?? 0) & 0xf, truncated: decoded.flag_tc }
}

function respond (query: Query | QueryProblem, flags: number, recursion: boolean, sections: { answers?: Answer[], authorities?: Answer[] }): Buffer {
  const packet: Packet = {
    id: query.id,
    type: 'response',
    // Echo RD and CD and the opcode; offer recursion only when there is an upstream to recurse to.
    flags: flags | (query.flags & (RECURSION_DESIRED | CHECKING_DISABLED | OPCODE_MASK)) | (recursion ? RECURSION_AVAILABLE : 0),
    questions: query.questions,
    answers: sections.answers ?? [],
    authorities: sections.authorities ?? [],
    // RFC 6891: a response to a query with EDNS carries EDNS too, with our own size.
    additionals: query.edns === undefined ? [] : [ednsRecord()]
  }
  return encode(packet)
}

function ednsRecord (): OptAnswer {
  return { name: '.', type: 'OPT', udpPayloadSize: MAX_UDP_PAYLOAD, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }
}
