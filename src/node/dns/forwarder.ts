// Forwarding a query to the upstream resolvers, in turn, within one deadline. Each
// exchange has its own socket (a fresh source port) and a fresh random id, and only a
// response from that upstream to that id and question is taken, so an off-path spoofer
// has to guess both. A truncated UDP answer is asked again over TCP, unless the client
// itself asked over UDP: then the truncated answer is passed on and the client asks
// again over TCP, which comes back here as a TCP query.

import { randomInt } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { connect, isIPv6 } from 'node:net'
import type { Question } from 'dns-packet'
import { FORWARD_TIMEOUT_MS, MAX_PENDING_FORWARDS } from './constants.ts'
import { FrameReader, frame } from './frames.ts'
import { RCODE, upstreamVerdict, withId } from './message.ts'
import type { Upstream } from './upstreams.ts'

export interface ForwarderInit {
  upstreams: readonly Upstream[]
  timeoutMs?: number
  maxPending?: number
}

export interface ForwardOptions {
  /** The client asked over UDP: an upstream's truncated answer is passed on as is. */
  udp: boolean
  signal?: AbortSignal
}

/** An upstream's response (with the client's id), or why there is none. */
export type ForwardResult = { response: Buffer } | { failure: 'no upstream' | 'busy' | 'unanswered' }

interface Exchange { response: Buffer, rcode: number, truncated: boolean }

export class Forwarder {
  readonly upstreams: readonly Upstream[]
  private readonly timeoutMs: number
  private readonly maxPending: number
  private pendingCount = 0

  constructor (init: ForwarderInit) {
    this.upstreams = init.upstreams
    this.timeoutMs = init.timeoutMs ?? FORWARD_TIMEOUT_MS
    this.maxPending = init.maxPending ?? MAX_PENDING_FORWARDS
  }

  /** Forwards waiting for an upstream now. */
  get pending (): number {
    return this.pendingCount
  }

  /**
   * The answer to `query` (raw, with the client's id) from the first upstream that gives
   * one; an upstream's SERVFAIL or REFUSED moves on to the next and is returned only when
   * no other answers. Each upstream gets an equal share of what is left of the deadline.
   */
  async forward (query: Buffer, question: Question, options: ForwardOptions): Promise<ForwardResult> {
    if (this.upstreams.length === 0) return { failure: 'no upstream' }
    if (this.pendingCount >= this.maxPending) return { failure: 'busy' }
    this.pendingCount++
    try {
      const clientId = query.readUInt16BE(0)
      const id = randomInt(0x10000)
      const outgoing = withId(query, id)
      const deadline = performance.now() + this.timeoutMs
      let fallback: Buffer | undefined
      for (const [index, upstream] of this.upstreams.entries()) {
        const share = (deadline - performance.now()) / (this.upstreams.length - index)
        if (share <= 0 || options.signal?.aborted === true) break
        const until = performance.now() + share
        let exchange = await exchangeUdp(upstream, outgoing, id, question, share, options.signal)
        if (exchange?.truncated === true && !options.udp) {
          exchange = await exchangeTcp(upstream, outgoing, id, question, until - performance.now(), options.signal)
        }
        if (exchange === undefined) continue
        if (exchange.rcode === RCODE.SERVFAIL || exchange.rcode === RCODE.REFUSED) {
          fallback = exchange.response
          continue
        }
        return { response: withId(exchange.response, clientId) }
      }
      return fallback === undefined ? { failure: 'unanswered' } : { response: withId(fallback, clientId) }
    } finally {
      this.pendingCount--
    }
  }
}

/** One query to one upstream over UDP; undefined on timeout, abort or a socket error (an ICMP refusal ends it at once). */
function exchangeUdp (upstream: Upstream, message: Buffer, id: number, question: Question, timeoutMs: number, signal?: AbortSignal): Promise<Exchange | undefined> {
  return exchange(timeoutMs, signal, (finish) => {
    const socket = createSocket(isIPv6(upstream.host) ? 'udp6' : 'udp4')
    socket.on('error', () => { finish(undefined) })
    socket.on('message', (response: Buffer) => {
      // A connected socket only hears its peer; the id and question are checked too.
      const verdict = upstreamVerdict(response, id, question)
      if (verdict !== undefined) finish({ response, ...verdict })
    })
    socket.connect(upstream.port, upstream.host, () => {
      socket.send(message, (err) => { if (err !== null && err !== undefined) finish(undefined) })
    })
    return () => { socket.close() }
  })
}

/** One query to one upstream over TCP, one message each way. */
function exchangeTcp (upstream: Upstream, message: Buffer, id: number, question: Question, timeoutMs: number, signal?: AbortSignal): Promise<Exchange | undefined> {
  return exchange(timeoutMs, signal, (finish) => {
    const socket = connect({ host: upstream.host, port: upstream.port })
    const reader = new FrameReader()
    socket.setNoDelay(true)
    socket.on('error', () => { finish(undefined) })
    socket.on('close', () => { finish(undefined) })
    socket.on('data', (chunk: Buffer) => {
      for (const response of reader.push(chunk)) {
        const verdict = upstreamVerdict(response, id, question)
        finish(verdict === undefined ? undefined : { response, ...verdict })
      }
    })
    socket.write(frame(message))
    return () => { socket.destroy() }
  })
}

/** Runs one exchange: `start` opens it and returns how to close it; the first finish (or the timeout, or the abort) settles it. */
function exchange (timeoutMs: number, signal: AbortSignal | undefined, start: (finish: (result: Exchange | undefined) => void) => () => void): Promise<Exchange | undefined> {
  if (timeoutMs <= 0 || signal?.aborted === true) return Promise.resolve(undefined)
  return new Promise((resolve) => {
    let close: (() => void) | undefined
    let done = false
    const finish = (result: Exchange | undefined): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      close?.()
      resolve(result)
    }
    const onAbort = (): void => { finish(undefined) }
    const timer = setTimeout(() => { finish(undefined) }, timeoutMs)
    signal?.addEventListener('abort', onAbort, { once: true })
    close = start(finish)
    // start() may have finished synchronously, before `close` was known.
    if (done) close()
  })
}
