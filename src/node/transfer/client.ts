// The client side of the transfer channel: pull a resource from a member, push one to it.
// One connection per transfer, bound to this node's own address (several nodes share a
// machine on 127.0.0.x), closed when it ends. Security never rests on the connection: the
// ticket proves this node a member, the frames (frames.ts) make the body confidential and
// tamper-evident, and a push's receipt is MACed under the push's stream key. So an API
// served over TLS is dialled without checking its certificate — the certificate is for
// browsers and CLIs, not for members that share a key.

import type { ClientRequest, IncomingMessage } from 'node:http'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { timingSafeEqual } from 'node:crypto'
import { pipeline } from 'node:stream'
import type { Readable } from 'node:stream'
import { pipeline as pipelined } from 'node:stream/promises'
import { ERROR_BODY_MAX_BYTES, IDLE_TIMEOUT_MS, ROUTE_PREFIX, TICKET_HEADER } from './constants.ts'
import { TransferError } from './errors.ts'
import { FrameOpener, FrameSealer } from './frames.ts'
import { receiptMac, streamKeyOf } from './key.ts'
import { issueTicket } from './ticket.ts'

/** A member's API: its node record's host and apiPort; `tls` when it serves HTTPS; `name` (its node name or id) for messages. */
export interface TransferPeer { host: string, port: number, tls?: boolean, name?: string }

export interface TransferInit {
  /** The transfer key (transferKeyOf the cluster secret). */
  key: Buffer
  /** This node's id. */
  self: string
  /** The address this node's sockets bind to (its --host). */
  localAddress?: string
  signal?: AbortSignal
}

/** The resource's plaintext, decrypted and verified as it streams; rejects when the peer cannot be reached or answers an error. */
export async function pull (peer: TransferPeer, resource: string, init: TransferInit): Promise<Readable> {
  const { ticket, header } = issueTicket(init.key, 'pull', resource, init.self)
  const label = `transfer of ${resource} from ${nameOf(peer)}`
  const req = send(peer, 'GET', resource, header, init, label)
  req.end()
  const res = await answer(req, label)
  const opener = new FrameOpener(streamKeyOf(init.key, ticket.nonce, 'pull'), label)
  pipeline(res, opener, () => {})
  return opener
}

/** Streams `body` to the peer as `resource`; resolves once the peer took all of it, with what it received (checked against what was sent). */
export async function push (peer: TransferPeer, resource: string, body: Readable, init: TransferInit): Promise<{ bytes: number, sha256: string }> {
  const { ticket, header } = issueTicket(init.key, 'push', resource, init.self)
  const label = `transfer of ${resource} to ${nameOf(peer)}`
  const streamKey = streamKeyOf(init.key, ticket.nonce, 'push')
  const req = send(peer, 'PUT', resource, header, init, label)
  const sealer = new FrameSealer(streamKey)
  const [sent, answered] = await Promise.allSettled([pipelined(body, sealer, req), answer(req, label)])
  // The peer's answer says most (a refusal closes the connection under the upload), then the body's own failure.
  if (answered.status === 'rejected' && (answered.reason as TransferError).status !== undefined) throw answered.reason
  if (sent.status === 'rejected') throw labelled(label, sent.reason)
  if (answered.status === 'rejected') throw answered.reason
  const receipt = await receiptOf(answered.value, label)
  const mine = sealer.summary
  if (mine === undefined || receipt.bytes !== mine.bytes || receipt.sha256 !== mine.sha256 || !sameMac(receipt.mac, receiptMac(streamKey, mine))) {
    throw new TransferError('TRANSFER_CORRUPT', `${label}: the peer's receipt does not match what was sent`)
  }
  return mine
}

function send (peer: TransferPeer, method: 'GET' | 'PUT', resource: string, ticket: string, init: TransferInit, label: string): ClientRequest {
  const options = {
    host: peer.host,
    port: peer.port,
    method,
    path: `${ROUTE_PREFIX}${resource}`,
    agent: false,
    headers: { [TICKET_HEADER]: ticket, connection: 'close', ...(method === 'PUT' ? { 'content-type': 'application/octet-stream' } : {}) },
    ...(init.localAddress === undefined ? {} : { localAddress: init.localAddress }),
    ...(init.signal === undefined ? {} : { signal: init.signal })
  }
  const req = peer.tls === true ? httpsRequest({ ...options, rejectUnauthorized: false }) : httpRequest(options)
  let res: IncomingMessage | undefined
  req.once('response', (answer) => { res = answer })
  req.setTimeout(IDLE_TIMEOUT_MS, () => {
    const err = new TransferError('TRANSFER_FAILED', `${label}: no data for ${IDLE_TIMEOUT_MS / 1000} s`)
    if (res !== undefined) res.destroy(err)
    req.destroy(err)
  })
  // Errors after the answer also reach the response (and from it the reader); none may go unhandled.
  req.on('error', () => {})
  // The ticket is timed: send it now, not with the first frame of a slow body.
  req.flushHeaders()
  return req
}

/** The peer's 200 answer; rejects with the peer's status and message otherwise, or with the connection's error. */
async function answer (req: ClientRequest, label: string): Promise<IncomingMessage> {
  return await new Promise((resolve, reject) => {
    req.once('error', (err) => { reject(labelled(label, err)) })
    req.once('response', (res) => {
      if (res.statusCode === 200) {
        resolve(res)
        return
      }
      const status = res.statusCode ?? 0
      readSome(res).then((text) => { reject(refusal(label, status, text)) }, (err: unknown) => { reject(labelled(label, err)) })
    })
  })
}

function refusal (label: string, status: number, text: string): TransferError {
  let message = text.slice(0, 200)
  let code: string | undefined
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string, message?: string } }
    message = parsed.error?.message ?? message
    code = parsed.error?.code
  } catch {}
  const kind = status === 401 || status === 403 ? 'TRANSFER_REFUSED' : status === 404 ? 'TRANSFER_NOT_FOUND' : code === 'MESHD_TRANSFER_CORRUPT' ? 'TRANSFER_CORRUPT' : 'TRANSFER_FAILED'
  return new TransferError(kind, `${label}: the peer answered ${status}${message === '' ? '' : ` (${message})`}`, { status })
}

async function receiptOf (res: IncomingMessage, label: string): Promise<{ bytes: number, sha256: string, mac: string }> {
  try {
    const receipt = JSON.parse(await readSome(res)) as { bytes?: unknown, sha256?: unknown, mac?: unknown }
    if (typeof receipt.bytes === 'number' && typeof receipt.sha256 === 'string' && typeof receipt.mac === 'string') {
      return { bytes: receipt.bytes, sha256: receipt.sha256, mac: receipt.mac }
    }
  } catch {}
  throw new TransferError('TRANSFER_CORRUPT', `${label}: the peer's receipt is unreadable`)
}

/** The start of a small answer (an error or a receipt); more than that is not read. */
async function readSome (res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of res as AsyncIterable<Buffer>) {
    chunks.push(chunk)
    size += chunk.byteLength
    if (size >= ERROR_BODY_MAX_BYTES) {
      res.destroy()
      break
    }
  }
  return Buffer.concat(chunks).subarray(0, ERROR_BODY_MAX_BYTES).toString('utf8')
}

function sameMac (given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.byteLength === b.byteLength && timingSafeEqual(a, b)
}

function labelled (label: string, err: unknown): TransferError {
  if (err instanceof TransferError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new TransferError('TRANSFER_FAILED', `${label}: ${message}`, { cause: err })
}

function nameOf (peer: TransferPeer): string {
  if (peer.name !== undefined) return peer.name
  return peer.host.includes(':') ? `[${peer.host}]:${peer.port}` : `${peer.host}:${peer.port}`
}
