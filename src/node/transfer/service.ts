// The server side of the transfer channel, on the node's API server: GET streams a
// resource to a member (pull), PUT takes one from a member (push). The routes carry no
// bearer token: the front door calls `authenticate` (the ticket check) in its place, and
// lets their bodies run past the API's request timeout. Bodies are streamed in frames
// (frames.ts), never buffered; which resources exist is up to the handlers of each kind.

import { pipeline } from 'node:stream'
import type { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from '../../logger.ts'
import { MeshdError } from '../errors.ts'
import { pull, push } from './client.ts'
import type { TransferInit, TransferPeer } from './client.ts'
import { IDLE_TIMEOUT_MS, ROUTE_PREFIX, TICKET_HEADER } from './constants.ts'
import { TransferError } from './errors.ts'
import { FrameOpener, FrameSealer } from './frames.ts'
import { receiptMac, streamKeyOf } from './key.ts'
import { checkTicket, kindOf, ReplayGuard, TicketRefused } from './ticket.ts'
import type { Ticket } from './ticket.ts'

/** Opens `resource` for node `from`; undefined when this node has no such resource (404). */
export type OpenResource = (resource: string, from: string) => Promise<Readable | undefined>
/** Takes `resource` from node `from`: reads `body` to its end (it errors if the body fails verification) or throws. */
export type TakeResource = (resource: string, from: string, body: Readable) => Promise<void>

export interface TransferServiceInit {
  /** The transfer key (transferKeyOf the cluster secret). */
  key: Buffer
  /** This node's id. */
  self: string
  /** The address this node's client sockets bind to (its --host); unset: any. */
  localAddress?: string
  log: Logger
}

/** What a push answers: the plaintext it received, with a MAC under the push's stream key (proof the server read it all). */
export interface PushReceipt { bytes: number, sha256: string, mac: string }

/** The transfer routes of one node and the handlers behind them, one per resource kind. */
export class TransferService {
  private readonly key: Buffer
  readonly self: string
  private readonly localAddress: string | undefined
  private readonly log: Logger
  private readonly seen = new ReplayGuard()
  private readonly sources = new Map<string, OpenResource>()
  private readonly sinks = new Map<string, TakeResource>()
  private readonly tickets = new WeakMap<FastifyRequest, Ticket>()

  constructor (init: TransferServiceInit) {
    this.key = init.key
    this.self = init.self
    this.localAddress = init.localAddress
    this.log = init.log
  }

  /** Pulls `resource` from `peer` as this node (client.ts `pull`). */
  async pull (peer: TransferPeer, resource: string, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    return await pull(peer, resource, this.clientInit(options))
  }

  /** Pushes `body` to `peer` as `resource`, as this node (client.ts `push`). */
  async push (peer: TransferPeer, resource: string, body: Readable, options: { signal?: AbortSignal } = {}): Promise<{ bytes: number, sha256: string }> {
    return await push(peer, resource, body, this.clientInit(options))
  }

  /** Serves pulls of resources of `kind` (their first segment, e.g. `volume`). */
  serve (kind: string, open: OpenResource): void {
    this.sources.set(kind, open)
  }

  /** Accepts pushes of resources of `kind`. */
  accept (kind: string, take: TakeResource): void {
    this.sinks.set(kind, take)
  }

  /** Adds GET and PUT /v1/internal/transfer/<resource> to `app`. */
  register (app: FastifyInstance): void {
    const config = { peer: (req: FastifyRequest): string | undefined => this.authenticate(req) }
    void app.register(async (scope) => {
      // The body reaches the handler as the request stream itself: no parser, no body limit.
      scope.addContentTypeParser('application/octet-stream', (_req, payload, done) => { done(null, payload) })
      scope.get(`${ROUTE_PREFIX}*`, { config, exposeHeadRoute: false }, async (req, reply) => await this.sendResource(req, reply))
      scope.put(`${ROUTE_PREFIX}*`, { config }, async (req, reply) => await this.takeResource(req, reply))
    })
  }

  /** The front door's check of a transfer request: undefined when its ticket holds, else why not. */
  authenticate (req: FastifyRequest): string | undefined {
    const op = req.method === 'PUT' ? 'push' : 'pull'
    try {
      this.tickets.set(req, checkTicket(this.key, req.headers[TICKET_HEADER], op, resourceOf(req), this.seen))
      return undefined
    } catch (err) {
      if (!(err instanceof TicketRefused)) throw err
      this.log.debug({ client: req.socket.remoteAddress, why: err.message }, 'transfer ticket refused')
      return `transfer: ${err.message}`
    }
  }

  private async sendResource (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const { ticket, resource } = this.admitted(req)
    const open = this.sources.get(kindOf(resource))
    const source = await this.handle(resource, ticket, async () => await open?.(resource, ticket.node))
    if (source === undefined) throw new MeshdError('MESHD_TRANSFER_NOT_FOUND', `transfer: this node has no ${resource}`)
    const sealer = new FrameSealer(streamKeyOf(this.key, ticket.nonce, 'pull'))
    pipeline(source, sealer, (err) => {
      if (err !== undefined && err !== null) this.log.warn({ resource, node: ticket.node, err: err.message }, 'transfer ended early')
      else this.log.info({ resource, node: ticket.node, bytes: sealer.summary?.bytes }, 'transfer sent')
    })
    return await reply.header('content-type', 'application/octet-stream').header('connection', 'close').send(sealer)
  }

  private async takeResource (req: FastifyRequest, reply: FastifyReply): Promise<PushReceipt> {
    const { ticket, resource } = this.admitted(req)
    const take = this.sinks.get(kindOf(resource))
    if (take === undefined) throw new MeshdError('MESHD_TRANSFER_NOT_FOUND', `transfer: this node takes no ${resource}`)
    const streamKey = streamKeyOf(this.key, ticket.nonce, 'push')
    const opener = new FrameOpener(streamKey, `transfer of ${resource} from ${ticket.node}`)
    pipeline(req.raw, opener, () => {})
    try {
      await this.handle(resource, ticket, async () => { await take(resource, ticket.node, opener) })
    } catch (err) {
      if (opener.errored instanceof TransferError) throw corrupt(opener.errored)
      throw err
    }
    const received = opener.summary
    if (received === undefined) {
      opener.destroy()
      if (opener.errored instanceof TransferError) throw corrupt(opener.errored)
      this.log.error({ resource, node: ticket.node }, 'transfer handler returned before the end of the body')
      throw new MeshdError('MESHD_INTERNAL', `transfer of ${resource}: failed on this node; see its log`)
    }
    this.log.info({ resource, node: ticket.node, bytes: received.bytes }, 'transfer received')
    void reply.header('connection', 'close')
    return { ...received, mac: receiptMac(streamKey, received) }
  }

  private clientInit (options: { signal?: AbortSignal }): TransferInit {
    return { key: this.key, self: this.self, ...(this.localAddress === undefined ? {} : { localAddress: this.localAddress }), ...options }
  }

  /** The request's verified ticket and resource; every transfer answer closes its connection, and a silent one is cut. */
  private admitted (req: FastifyRequest): { ticket: Ticket, resource: string } {
    const ticket = this.tickets.get(req)
    // The front door let it in only with a ticket; without one the route was reached some other way.
    if (ticket === undefined) throw new MeshdError('MESHD_UNAUTHORIZED', 'transfer: no transfer ticket', TICKET_HEADER)
    req.raw.setTimeout(IDLE_TIMEOUT_MS, () => { req.raw.socket.destroy() })
    return { ticket, resource: ticket.resource }
  }

  /** Runs a handler; its failure is logged here and answered 500 with a short message. */
  private async handle<T> (resource: string, ticket: Ticket, run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (err) {
      if (err instanceof TransferError) throw err
      this.log.error({ err, resource, node: ticket.node }, 'transfer handler failed')
      throw new MeshdError('MESHD_INTERNAL', `transfer of ${resource}: failed on this node; see its log`)
    }
  }
}

function resourceOf (req: FastifyRequest): string {
  return (req.params as { '*'?: string })['*'] ?? ''
}

function corrupt (err: TransferError): MeshdError {
  return new MeshdError('MESHD_TRANSFER_CORRUPT', err.message, 'body')
}
