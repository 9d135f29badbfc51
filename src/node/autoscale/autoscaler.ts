// Runs on every node and scales the autoscaled services this node coordinates (the same
// rendezvous choice as rollouts, cluster/rollout.ts coordinatorOf): every tick it gathers
// every member's counters (metrics/ samples), turns them into figures, asks the pure rule
// (cluster/autoscale.ts) and, when the count changes, writes it with the decision into
// `autoscale[service]` — a record of its own, so it never crosses a user's write of the
// service record; every view takes the count from it (cluster/view.ts autoscaled()) — and
// emits `service.autoscaled`. The recommendations of the scale-down window are kept in the
// record too (the few that can still be its highest), so a new coordinator keeps the window.

import type { AutoscaleDecision, AutoscaleMetrics, AutoscaleRecord, ClusterDocument } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import { coordinatorOf, decideReplicas, keptRecommendations } from '../cluster/index.ts'
import type { AutoscaleOutcome, ClusterView } from '../cluster/index.ts'
import { noEvents } from '../events/index.ts'
import type { Events } from '../events/index.ts'
import type { MemberSample } from '../metrics/index.ts'
import { AUTOSCALE_TICK_MS, DECISIONS_KEPT, RECOMMENDATIONS_KEPT, STATUS_EVERY_MS, STATUS_MIN_GAP_MS } from './constants.ts'
import { Figures } from './figures.ts'

export interface AutoscalerInit {
  document: ClusterDocument
  /** The cluster as this node sees it now. */
  view: () => ClusterView
  /** Every member's counters that answered, by member id. */
  samples: () => Promise<ReadonlyMap<string, MemberSample>>
  log: Logger
  events?: Events
  tickMs?: number
}

export class Autoscaler {
  private readonly init: AutoscalerInit
  private timer: NodeJS.Timeout | undefined
  private running = false
  private figures = new Figures()
  /** Recommendations of the services this node coordinates, oldest first. */
  private readonly history = new Map<string, AutoscaleOutcome['history']>()

  constructor (init: AutoscalerInit) {
    this.init = init
  }

  start (): void {
    if (this.running) return
    this.running = true
    // A random first delay, so that the nodes' rounds do not fall together.
    this.schedule(Math.random() * this.tickMs())
  }

  stop (): void {
    this.running = false
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private tickMs (): number {
    return this.init.tickMs ?? AUTOSCALE_TICK_MS
  }

  private schedule (ms: number): void {
    this.timer = setTimeout(() => {
      this.tick().catch((err: unknown) => { this.init.log.error({ err }, 'autoscale round failed') })
        .finally(() => { if (this.running) this.schedule(this.tickMs()) })
    }, ms)
  }

  /** One round: gather, evaluate and write the services this node coordinates. */
  async tick (): Promise<void> {
    const mine = this.coordinated(this.init.view())
    for (const name of this.history.keys()) if (!mine.includes(name)) this.history.delete(name)
    if (mine.length === 0) { this.figures = new Figures(); return }
    const samples = await this.init.samples()
    if (!this.running) return
    const view = this.init.view()
    const at = view.now
    const figures = this.figures.update(view, samples, at)
    const waiting = new Set([...samples.values()].flatMap((s) => s.waiting.map((w) => w.service)))
    for (const name of this.coordinated(view)) {
      const metrics = figures.get(name)
      if (metrics !== undefined) this.evaluate(name, metrics, waiting.has(name), at)
    }
  }

  private coordinated (view: ClusterView): string[] {
    return Object.entries(view.services)
      .filter(([name, record]) => record.spec.autoscale !== undefined && coordinatorOf(view, name) === view.self)
      .map(([name]) => name)
  }

  private evaluate (name: string, metrics: AutoscaleMetrics, wanted: boolean, at: number): void {
    const { document, log } = this.init
    // Looked at again: the round awaited the members, and a user may have written since.
    const view = this.init.view()
    const record = view.services[name]
    const spec = record?.spec.autoscale
    if (record === undefined || spec === undefined) return
    // The view's count is this autoscaler's (cluster/view.ts autoscaled()), or the spec's to start with.
    const current = record.spec.replicas
    const stored = view.autoscale[name]
    const before = stored?.serviceCreatedAt === record.createdAt ? stored : undefined
    const history = this.history.get(name) ?? before?.recommendations ?? []
    const outcome = decideReplicas({ spec, current, metrics, history, now: at, wanted })
    this.history.set(name, outcome.history)
    const status: AutoscaleRecord = {
      serviceCreatedAt: record.createdAt,
      desired: outcome.desired,
      metrics,
      ...(before?.lastDecision === undefined ? {} : { lastDecision: before.lastDecision }),
      decisions: before?.decisions ?? [],
      recommendations: keptRecommendations(outcome.history, RECOMMENDATIONS_KEPT),
      updatedAt: at
    }
    if (outcome.desired !== current) {
      const decision: AutoscaleDecision = { at, from: current, to: outcome.desired, reason: outcome.reason.slice(0, 1000) }
      status.lastDecision = decision
      status.decisions = [...status.decisions, decision].slice(-DECISIONS_KEPT)
      document.putAutoscale(name, status)
      log.info({ service: name, from: decision.from, to: decision.to, reason: decision.reason }, 'service autoscaled')
      ;(this.init.events ?? noEvents).emit({ kind: 'service.autoscaled', service: name, replicas: decision.to, previous: decision.from, reason: decision.reason, message: `${name} autoscaled from ${decision.from} to ${decision.to}: ${decision.reason}` })
      return
    }
    // The status is rewritten when the window's recommendations change (at most every
    // STATUS_MIN_GAP_MS) and otherwise every STATUS_EVERY_MS: each write is a whole record
    // in the document's log and on the wire.
    const values = (list: Array<{ replicas: number }>): string => list.map((r) => r.replicas).join(',')
    const since = before === undefined ? Infinity : at - before.updatedAt
    const moved = before === undefined || before.desired !== status.desired || values(before.recommendations) !== values(status.recommendations)
    if (since >= STATUS_EVERY_MS || (moved && since >= STATUS_MIN_GAP_MS)) document.putAutoscale(name, status)
  }
}
