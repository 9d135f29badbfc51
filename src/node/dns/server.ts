// The node's DNS server for its replicas: UDP and TCP on one address (the replica
// network's gateway), names under the zone answered from the caller's table, every
// other name forwarded upstream. What a replica can make it do is bounded: UDP answers
// per source, forwards in flight, TCP connections, and UDP answer sizes.

import { createSocket } from 'node:dgram'
import type { RemoteInfo, Socket } from 'node:dgram'
import { isIPv6 } from 'node:net'
import { DNS_PORT, LIMIT_WARNING_INTERVAL_MS } from './constants.ts'
import { Forwarder } from './forwarder.ts'
import { errorResponse, isQuery, localResponse, parseQuery, truncatedResponse, udpLimit } from './message.ts'
import type { Query } from './message.ts'
import { SourceLimiter } from './rate-limit.ts'
import { resolve } from './resolver.ts'
import type { NameTable } from './table.ts'
import { TcpFront } from './tcp.ts'
import { hostUpstreams } from './upstreams.ts'
import type { Upstream } from './upstreams.ts'
import type { Logger } from '../../logger.ts'

export interface DnsServerInit {
  /** The address to listen on, UDP and TCP: the replica network's gateway. */
  host: string
  /** Default 53; 0 picks a free port (tests), read it from address(). */
  port?: number
  /** The names to answer as of now; called for every query, so the caller caches it. */
  table: () => NameTable
  /** Resolvers for every other name; default: the host's (resolv.conf without loopback). */
  upstreams?: Upstream[]
  log: Logger
  /** Overrides of the defaults (tests, the bench). */
  forwardTimeoutMs?: number
  rateLimit?: { perSecond: number, burst: number }
  tcpIdleTimeoutMs?: number
}

/** The server's counters since start, for metrics. */
export interface DnsStats {
  /** Messages received, UDP and TCP, whatever became of them. */
  queries: number
  /** Answered from the table (A, NODATA, NXDOMAIN). */
  local: number
  /** Sent upstream. */
  forwarded: number
  /** Local NXDOMAIN answers (a subset of local). */
  nxdomain: number
  /** Answered SERVFAIL (no upstream answered, or none configured), FORMERR or NOTIMP. */
  errors: number
  /** Dropped: did not decode, or were responses. */
  malformed: number
  /** UDP queries over their source's rate: answered empty with TC, or dropped. */
  limited: number
  /** UDP answers replaced by an empty TC response because they did not fit. */
  truncated: number
  /** Forwards waiting for an upstream now. */
  pendingForwards: number
  /** TCP client connections open now. */
  tcpConnections: number
  upstreams: string[]
}

type Counter = 'queries' | 'local' | 'forwarded' | 'nxdomain' | 'errors' | 'malformed' | 'limited' | 'truncated'

export class DnsServer {
  private readonly init: DnsServerInit
  private readonly limiter: SourceLimiter
  private readonly counters: Record<Counter, number> = { queries: 0, local: 0, forwarded: 0, nxdomain: 0, errors: 0, malformed: 0, limited: 0, truncated: 0 }
  private forwarder = new Forwarder({ upstreams: [] })
  private udp: Socket | undefined
  private tcp: TcpFront | undefined
  private abort = new AbortController()
  private started = false
  private limitedSinceWarning = 0
  private lastLimitWarning = -Infinity

  constructor (init: DnsServerInit) {
    this.init = init
    this.limiter = new SourceLimiter(init.rateLimit ?? {})
  }

  /** Finds the upstreams, then listens on UDP and TCP; rejects (listening on neither) when either port cannot be had. Idempotent. */
  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    try {
      const upstreams = this.init.upstreams ?? await hostUpstreams([this.init.host])
      if (upstreams.length === 0) this.init.log.warn({}, 'no upstream resolver: names outside the zone will get SERVFAIL')
      this.forwarder = new Forwarder({ upstreams, ...(this.init.forwardTimeoutMs === undefined ? {} : { timeoutMs: this.init.forwardTimeoutMs }) })
      this.abort = new AbortController()
      this.udp = await this.bindUdp()
      this.tcp = await TcpFront.listen({
        host: this.init.host,
        port: this.udp.address().port,
        answer: (message, source) => this.answer(message, 'tcp', source),
        log: this.init.log,
        ...(this.init.tcpIdleTimeoutMs === undefined ? {} : { idleTimeoutMs: this.init.tcpIdleTimeoutMs })
      })
      this.init.log.info({ address: this.address(), upstreams: this.upstreamNames() }, 'dns server listening')
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  /** Closes both listeners and every TCP connection; forwards in flight are abandoned. Idempotent. */
  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.abort.abort()
    const udp = this.udp
    this.udp = undefined
    if (udp !== undefined) await new Promise<void>((resolve) => { udp.close(() => { resolve() }) })
    await this.tcp?.close()
    this.tcp = undefined
  }

  /** Where the server listens (the port is the real one when init.port was 0); undefined when stopped. */
  address (): { host: string, port: number } | undefined {
    return this.udp === undefined ? undefined : { host: this.init.host, port: this.udp.address().port }
  }

  /** The counters since construction, and what is in flight now. */
  stats (): DnsStats {
    return {
      ...this.counters,
      pendingForwards: this.forwarder.pending,
      tcpConnections: this.tcp?.connections ?? 0,
      upstreams: this.upstreamNames()
    }
  }

  /** The response to one message from a client, or undefined to send nothing. */
  private async answer (message: Buffer, transport: 'udp' | 'tcp', source: string): Promise<Buffer | undefined> {
    this.counters.queries++
    // TCP needs no rate: its source cannot be spoofed, and connections are capped.
    const verdict = transport === 'udp' ? this.limiter.check(source, performance.now()) : 'answer'
    if (verdict === 'drop') return this.limited()
    const recursion = this.forwarder.upstreams.length > 0
    const parsed = parseQuery(message)
    if (parsed === undefined) {
      this.counters.malformed++
      return undefined
    }
    if (!isQuery(parsed)) {
      this.counters.errors++
      return errorResponse(parsed, parsed.rcode, recursion)
    }
    if (verdict === 'slip') return this.limited(truncatedResponse(parsed, recursion, false))
    let table: NameTable
    try {
      table = this.init.table()
    } catch (err) {
      this.counters.errors++
      this.init.log.error({ err: (err as Error).message }, 'dns name table failed')
      return errorResponse(parsed, 'SERVFAIL', recursion)
    }
    const resolution = resolve(parsed.question, table)
    if (!resolution.forward) {
      this.counters.local++
      if (resolution.rcode === 'NXDOMAIN') this.counters.nxdomain++
      return this.fit(localResponse(parsed, resolution, recursion), parsed, transport, true)
    }
    this.counters.forwarded++
    const result = await this.forwarder.forward(message, parsed.question, { udp: transport === 'udp', signal: this.abort.signal })
    if ('failure' in result) {
      this.counters.errors++
      this.init.log.debug({ name: parsed.question.name, type: parsed.question.type, failure: result.failure }, 'dns forward failed')
      return errorResponse(parsed, 'SERVFAIL', recursion)
    }
    return this.fit(result.response, parsed, transport, false)
  }

  /** The response as sent over `transport`: over UDP, an empty TC response when it does not fit the client's size. */
  private fit (response: Buffer, query: Query, transport: 'udp' | 'tcp', authoritative: boolean): Buffer {
    if (transport === 'tcp' || response.length <= udpLimit(query)) return response
    this.counters.truncated++
    return truncatedResponse(query, this.forwarder.upstreams.length > 0, authoritative)
  }

  /** Counts a limited query and warns now and then; returns what to send (nothing, or the slip). */
  private limited (response?: Buffer): Buffer | undefined {
    this.counters.limited++
    this.limitedSinceWarning++
    const now = performance.now()
    if (now - this.lastLimitWarning >= LIMIT_WARNING_INTERVAL_MS) {
      this.init.log.warn({ limited: this.limitedSinceWarning, sources: this.limiter.tracked }, 'dns queries over their source\'s rate were dropped or truncated')
      this.lastLimitWarning = now
      this.limitedSinceWarning = 0
    }
    return response
  }

  private async bindUdp (): Promise<Socket> {
    const socket = createSocket({ type: isIPv6(this.init.host) ? 'udp6' : 'udp4' })
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind({ address: this.init.host, port: this.init.port ?? DNS_PORT, exclusive: true }, () => {
        socket.removeListener('error', reject)
        resolve()
      })
    })
    socket.on('error', (err) => { this.init.log.error({ err: err.message }, 'dns udp socket failed') })
    socket.on('message', (message: Buffer, peer: RemoteInfo) => { this.onDatagram(socket, message, peer) })
    return socket
  }

  private onDatagram (socket: Socket, message: Buffer, peer: RemoteInfo): void {
    // Port 0 cannot be answered; it only shows up forged.
    if (peer.port === 0) return
    this.answer(message, 'udp', peer.address)
      .then((response) => {
        // A send that fails (the client is gone) has no one to tell.
        if (response !== undefined && this.udp === socket) socket.send(response, peer.port, peer.address, () => {})
      })
      .catch((err: Error) => {
        this.counters.errors++
        this.init.log.error({ err: err.message }, 'dns udp query failed')
      })
  }

  private upstreamNames (): string[] {
    return this.forwarder.upstreams.map(({ host, port }) => isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`)
  }
}
