// `meshd top` and `meshd service stats`: CPU and memory of every replica of the cluster.
// A node samples its own replicas' cgroups twice, CPU_SAMPLE_MS apart (CPU time over wall
// time is the CPU share); the node asked (GET /v1/stats) gathers every member's through
// GET /v1/internal/stats, authenticated member to member like the transfer channel (a
// ticket under the transfer key, for `stats/<that member's id>`, so it opens no other
// member's stats and is refused twice). A member that does not answer within
// MEMBER_STATS_TIMEOUT_MS, or is dead, is reported unreachable, never waited on longer.

import { request as httpRequest } from 'node:http'
import type { IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyRequest } from 'fastify'
import { byText } from '../../placement/index.ts'
import { stateOf } from '../cluster/index.ts'
import type { ClusterView } from '../cluster/index.ts'
import { checkTicket, constants as transfer, issueTicket, ReplayGuard, TicketRefused } from '../transfer/index.ts'
import { CPU_SAMPLE_MS, MEMBER_STATS_MAX_BYTES, MEMBER_STATS_TIMEOUT_MS } from './constants.ts'
import { replicaUsage } from './scrape.ts'
import { isMemberSample, localSample } from './samples.ts'
import type { MemberSample, SampleSources } from './samples.ts'

/** One replica's usage, as GET /v1/stats answers it. */
export interface ReplicaStats {
  service: string
  slot: number
  node: string
  /** The container's short id. */
  container: string
  /** CPU share over the last CPU_SAMPLE_MS, in % of one core. */
  cpuPercent: number
  /** CPU time since the container started. */
  cpuSeconds: number
  memoryBytes: number
}

/** GET /v1/stats: the replicas of every member that answered, and the members that did not. */
export interface ClusterStats {
  replicas: ReplicaStats[]
  /** Names of members dead, or silent for MEMBER_STATS_TIMEOUT_MS. */
  unreachable: string[]
}

export interface StatsInit {
  /** This node's id and name. */
  self: { id: string, name: string }
  view: () => ClusterView
  /** The transfer key (transferKeyOf the cluster secret). */
  key: Buffer
  /** Members serve their API over HTTPS. */
  tls: boolean
  /** The address this node's client sockets bind to; unset: any. */
  localAddress?: string
  cgroupRoot?: string
  /** The mesh's counters and the services a connection waits for, for autoscale samples. */
  mesh?: SampleSources['mesh']
  waiting?: SampleSources['waiting']
}

export class ReplicaStatsService {
  private readonly init: StatsInit
  private readonly seen = new ReplayGuard()
  /** The round of members' samples under way, shared by whoever asks meanwhile. */
  private sampling: Promise<Map<string, MemberSample>> | undefined

  constructor (init: StatsInit) {
    this.init = init
  }

  /** This node's replicas, CPU sampled over CPU_SAMPLE_MS. */
  async local (): Promise<ReplicaStats[]> {
    const { view, cgroupRoot, self } = this.init
    const first = await replicaUsage(view(), cgroupRoot)
    const began = performance.now()
    await sleep(CPU_SAMPLE_MS)
    const second = await replicaUsage(view(), cgroupRoot)
    const seconds = (performance.now() - began) / 1000
    const before = new Map(first.map((r) => [r.container, r.cpuSeconds]))
    return second.map((r) => {
      const earlier = before.get(r.container)
      const share = earlier === undefined ? 0 : Math.max(0, r.cpuSeconds - earlier) / seconds * 100
      return { service: r.service, slot: r.slot, node: self.name, container: r.container, cpuPercent: Math.round(share * 10) / 10, cpuSeconds: r.cpuSeconds, memoryBytes: r.memoryBytes }
    })
  }

  /** Every member's replicas (of `service` only, when given), gathered at once. */
  async gather (service?: string): Promise<ClusterStats> {
    const view = this.init.view()
    const unreachable: string[] = []
    const answers = await Promise.all(Object.entries(view.nodes).map(async ([id, node]) => {
      if (id === view.self) return await this.local()
      if (stateOf(view, id) === 'dead') { unreachable.push(node.name); return [] }
      return await this.ask(id, node.host, node.apiPort).then((parsed) => {
        if (!Array.isArray(parsed) || !parsed.every(isReplicaStats)) throw new Error(`stats of ${node.name}: not a list of replica stats`)
        return parsed
      }).catch(() => { unreachable.push(node.name); return [] })
    }))
    const replicas = answers.flat().filter((r) => service === undefined || r.service === service)
      .sort((a, b) => byText(a.service, b.service) || a.slot - b.slot || byText(a.node, b.node))
    return { replicas, unreachable: unreachable.sort(byText) }
  }

  /** This node's autoscale sample (counters as they stand). */
  async sample (): Promise<MemberSample> {
    const { view, mesh, waiting, cgroupRoot } = this.init
    return await localSample({ view, ...(mesh === undefined ? {} : { mesh }), ...(waiting === undefined ? {} : { waiting }), ...(cgroupRoot === undefined ? {} : { cgroupRoot }) })
  }

  /**
   * Every member's autoscale sample that answered in time, by member id (dead ones are not
   * asked). Callers at the same time (the autoscaler, the alert driver) share one round.
   */
  async samples (): Promise<Map<string, MemberSample>> {
    this.sampling ??= this.sampleMembers().finally(() => { this.sampling = undefined })
    return await this.sampling
  }

  private async sampleMembers (): Promise<Map<string, MemberSample>> {
    const view = this.init.view()
    const answers = await Promise.all(Object.entries(view.nodes).map(async ([id, node]) => {
      if (id === view.self) return [id, await this.sample()] as const
      if (stateOf(view, id) === 'dead') return undefined
      const answer = await this.ask(id, node.host, node.apiPort, '?sample=autoscale').catch(() => undefined)
      return isMemberSample(answer) ? [id, answer] as const : undefined
    }))
    return new Map(answers.filter((a) => a !== undefined))
  }

  /** The front door's check of GET /v1/internal/stats: undefined when its ticket holds, else why not. */
  authenticate (req: FastifyRequest): string | undefined {
    try {
      checkTicket(this.init.key, req.headers[transfer.TICKET_HEADER], 'pull', this.resource(this.init.self.id), this.seen)
      return undefined
    } catch (err) {
      if (err instanceof TicketRefused) return `stats: ${err.message}`
      throw err
    }
  }

  private resource (id: string): string {
    return `stats/${id}`
  }

  /** One member's answer as JSON, or a rejection when it does not answer in time. */
  private async ask (id: string, host: string, port: number, query = ''): Promise<unknown> {
    const { header } = issueTicket(this.init.key, 'pull', this.resource(id), this.init.self.id)
    const options = {
      host, port, method: 'GET', path: `/v1/internal/stats${query}`, agent: false,
      headers: { [transfer.TICKET_HEADER]: header, connection: 'close', host: `${host}:${port}` },
      signal: AbortSignal.timeout(MEMBER_STATS_TIMEOUT_MS),
      ...(this.init.localAddress === undefined ? {} : { localAddress: this.init.localAddress })
    }
    const answer = await new Promise<IncomingMessage>((resolve, reject) => {
      // Members share a key, not a CA: the ticket, not the certificate, makes this a member (as in transfer/client.ts).
      const req = this.init.tls ? httpsRequest({ ...options, rejectUnauthorized: false }) : httpRequest(options)
      req.once('response', resolve).once('error', reject).end()
    })
    const body = await readAll(answer)
    if (answer.statusCode !== 200) throw new Error(`stats of ${host}:${port}: HTTP ${answer.statusCode}`)
    return JSON.parse(body) as unknown
  }
}

async function readAll (res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let bytes = 0
  for await (const chunk of res as AsyncIterable<Buffer>) {
    bytes += chunk.byteLength
    if (bytes > MEMBER_STATS_MAX_BYTES) { res.destroy(); throw new Error('stats answer too large') }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function isReplicaStats (value: unknown): value is ReplicaStats {
  const r = value as Record<string, unknown>
  return typeof r === 'object' && r !== null && typeof r.service === 'string' && typeof r.slot === 'number' && typeof r.node === 'string' &&
    typeof r.container === 'string' && typeof r.cpuPercent === 'number' && typeof r.cpuSeconds === 'number' && typeof r.memoryBytes === 'number'
}
