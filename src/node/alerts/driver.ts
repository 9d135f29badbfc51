// Runs on every node: notes replica failures, and for each rule it coordinates (the
// member not dead that ranks first for "alert:NAME", held for ALERT_HANDOVER_MS) evaluates
// the rule every ALERT_TICK_MS, writes the state's transitions, and posts the notices it
// claimed. A claim is written before the post and checked again ALERT_SETTLE_MS later, so
// of two nodes that both believed themselves coordinator only the one the document kept
// posts; a notice is marked sent once posted, so the next coordinator does not post it
// again (state.ts). A node posts the notices it claimed even after it stops coordinating.

import type { AlertRecord, AlertStateRecord, ClusterDocument } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import { coordinatorOf } from '../cluster/index.ts'
import type { ClusterView } from '../cluster/index.ts'
import { noEvents } from '../events/index.ts'
import type { EventInput, Events } from '../events/index.ts'
import { alertForMs, formatRule, parseRule } from '../spec/index.ts'
import { openWebhook, shownWebhook } from './credentials.ts'
import { ALERT_HANDOVER_MS, ALERT_SETTLE_MS, ALERT_TICK_MS, FAILURE_MEMORY_MS } from './constants.ts'
import { evaluateRule } from './evaluate.ts'
import type { AlertSamples, CpuSample, TrafficSample } from './evaluate.ts'
import { noteFailures } from './failures.ts'
import type { FailureLog } from './failures.ts'
import { webhookPayload } from './payload.ts'
import { nextState, noticeDone, sending, takeOver } from './state.ts'
import { postWebhook } from './webhook.ts'
import type { Delivery, PostOptions } from './webhook.ts'

export interface AlertDriverInit {
  document: ClusterDocument
  view: () => ClusterView
  /** The rules and states this node believes (trust/). */
  rules: () => Record<string, AlertRecord>
  states: () => Record<string, AlertStateRecord>
  log: Logger
  events?: Events
  /** This node's API URL: the payloads' externalURL. */
  externalURL: string
  localAddress?: string
  /** Opens a webhook's sealed credentials (stored/ secretsKeyOf). */
  secretsKey?: Buffer
  /** Every replica's CPU share (metrics/ ReplicaStatsService.gather), for replica.cpu rules. */
  cpu?: () => Promise<CpuSample[]>
  /** Every member's mesh counters per service, cumulative (connections, errors), by member (metrics/ samples), for service.errors rules. */
  traffic?: () => Promise<Map<string, TrafficSample[]>>
  tickMs?: number
  handoverMs?: number
  settleMs?: number
  post?: (url: string, body: unknown, options: PostOptions) => Promise<Delivery>
  now?: () => number
}

/** The alert rules' evaluation and notifications, as a daemon part. */
export class AlertDriver {
  private readonly init: AlertDriverInit
  private timer: NodeJS.Timeout | undefined
  private stagger: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private abort = new AbortController()
  private failures: FailureLog = {}
  /** Each member's cumulative counters at the last pass, by `member/service`. */
  private lastTraffic = new Map<string, TrafficSample>()
  /** Since when (ms) this node has been each rule's coordinator, without a break. */
  private readonly coordinating = new Map<string, number>()
  /** Notice ids this node is posting now. */
  private readonly inFlight = new Set<string>()
  /** Notice ids claimed by this run; a claim of this node's earlier run waits until its document has caught up. */
  private readonly claimed = new Set<string>()
  private firstPass: number | undefined
  /** The event of each fresh transition this node claimed, emitted once its claim holds. */
  private readonly announce = new Map<string, EventInput>()

  constructor (init: AlertDriverInit) {
    this.init = init
  }

  start (): void {
    if (this.timer !== undefined || this.stagger !== undefined) return
    this.abort = new AbortController()
    const every = this.init.tickMs ?? ALERT_TICK_MS
    // A random stagger, so that nodes do not tick in step.
    this.stagger = setTimeout(() => {
      this.stagger = undefined
      this.timer = setInterval(() => { void this.tick() }, every)
    }, Math.floor(Math.random() * every))
  }

  async stop (): Promise<void> {
    clearTimeout(this.stagger)
    clearInterval(this.timer)
    this.stagger = undefined
    this.timer = undefined
    this.abort.abort()
    await this.running
  }

  /** One pass; a pass still running makes this one a no-op. */
  async tick (): Promise<void> {
    if (this.running !== undefined) return
    this.running = this.pass().catch((err: unknown) => { this.init.log.error({ err }, 'alert evaluation failed') }).finally(() => { this.running = undefined })
    await this.running
  }

  private now (): number { return this.init.now?.() ?? Date.now() }

  private async pass (): Promise<void> {
    const view = this.init.view()
    this.firstPass ??= this.now()
    this.failures = noteFailures(this.failures, view, FAILURE_MEMORY_MS)
    const rules = this.init.rules()
    const states = this.init.states()
    const samples: AlertSamples = { failures: this.failures }
    let traffic: TrafficSample[] | undefined
    for (const name of [...this.coordinating.keys()]) if (rules[name] === undefined) this.coordinating.delete(name)
    for (const [name, rule] of Object.entries(rules)) {
      const state = states[name]
      // Our own claims first: posted whoever coordinates now.
      const notice = state?.notice
      this.sendOwn(name, state, view.self)
      if (!this.stableCoordinator(name, view)) continue
      const claimed = takeOver(state, view, this.now())
      if (claimed !== undefined) {
        this.init.log.warn({ alert: name, notice: claimed.notice?.id, from: notice?.by }, 'took over a notice whose sender is dead')
        this.write(name, claimed)
        if (claimed.notice !== undefined) this.claimed.add(claimed.notice.id)
        this.sendOwn(name, claimed, view.self)
        continue
      }
      if (sending(state)) continue
      let parsed
      try {
        parsed = parseRule(rule.when)
      } catch {
        continue // trust/ keeps such a rule out; a race with a newer parser is not worth a crash
      }
      if (parsed.kind === 'replica.cpu') samples.cpu ??= await this.init.cpu?.().catch(() => undefined)
      if (parsed.kind === 'service.errors') samples.traffic ??= (traffic ??= await this.trafficDelta())
      const ruleRef = { name, key: `${formatRule(parsed)}|${rule.for ?? '0s'}`, forMs: alertForMs(rule.for) }
      const next = nextState(state, ruleRef, evaluateRule(parsed, view, samples), this.now(), view.self)
      if (next === undefined) continue
      this.transition(name, rule, state, next)
      if (next.notice !== undefined && next.notice.by === view.self) this.claimed.add(next.notice.id)
      this.sendOwn(name, next, view.self)
    }
  }

  private stableCoordinator (name: string, view: ClusterView): boolean {
    if (coordinatorOf(view, `alert:${name}`) !== view.self) {
      this.coordinating.delete(name)
      return false
    }
    const now = this.now()
    const since = this.coordinating.get(name) ?? now
    this.coordinating.set(name, since)
    return now - since >= (this.init.handoverMs ?? ALERT_HANDOVER_MS)
  }

  private transition (name: string, rule: AlertRecord, before: AlertStateRecord | undefined, next: AlertStateRecord): void {
    this.write(name, next)
    if (next.notice !== undefined && next.notice.id !== before?.notice?.id) {
      const firing = next.notice.status === 'firing'
      const what = (next.instances ?? []).map((i) => Object.values(i.labels).join('/')).join(', ')
      // Announced once the claim has held (send): of two nodes that both claimed, one tells.
      this.announce.set(next.notice.id, { kind: firing ? 'alert.firing' : 'alert.resolved', alert: name, message: `alert ${name} ${firing ? 'firing' : 'resolved'}: ${rule.when}${what === '' ? '' : ` (${what})`}` })
    }
  }

  private write (name: string, state: AlertStateRecord): void {
    try {
      this.init.document.putAlertState(name, state)
    } catch (err) {
      this.init.log.error({ err, alert: name }, 'could not write an alert state')
    }
  }

  /** Posts the notice of `state` when this node claimed it and is not posting it already. */
  private sendOwn (name: string, state: AlertStateRecord | undefined, self: string): void {
    const notice = state?.notice
    if (notice?.phase !== 'sending' || notice.by !== self || this.inFlight.has(notice.id)) return
    // A claim from before a restart may have been taken over and sent meanwhile: wait for the peers' word.
    if (!this.claimed.has(notice.id) && this.now() - (this.firstPass ?? 0) < (this.init.handoverMs ?? ALERT_HANDOVER_MS)) return
    this.send(name, notice.id)
  }

  // Settle, check the claim is still ours, post, record the outcome.
  private send (name: string, id: string): void {
    this.inFlight.add(id)
    const { log } = this.init
    const signal = this.abort.signal
    const run = async (): Promise<void> => {
      await new Promise<void>((resolve) => { const t = setTimeout(resolve, this.init.settleMs ?? ALERT_SETTLE_MS); signal.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true }) })
      if (signal.aborted) return
      const state = this.init.states()[name]
      const rule = this.init.rules()[name]
      if (rule === undefined || state?.notice?.id !== id || state.notice.by !== this.init.view().self || state.notice.phase !== 'sending') return
      const event = this.announce.get(id)
      if (event !== undefined) {
        log.info({ alert: name, status: state.notice.status, webhook: shownWebhook(rule.notify) }, `alert ${state.notice.status}`)
        const events = this.init.events ?? noEvents
        events.emit(event)
      }
      const payload = webhookPayload(name, rule.when, state, state.notice.status, this.init.externalURL)
      const post = this.init.post ?? postWebhook
      let url: string | undefined
      try {
        url = openWebhook(this.init.secretsKey, name, rule.notify)
      } catch (err) {
        url = undefined
        log.error({ err, alert: name }, 'cannot open the webhook\'s credentials')
      }
      // A notice that cannot be posted is marked failed, never left claimed (it would hold the rule's state).
      const delivery = url === undefined
        ? { ok: false, attempts: 0, error: 'the webhook\'s credentials do not open on this node' }
        : await post(url, payload, { signal, ...(this.init.localAddress === undefined ? {} : { localAddress: this.init.localAddress }) })
      const webhook = shownWebhook(rule.notify)
      if (delivery.ok) log.info({ alert: name, notice: id, webhook, attempts: delivery.attempts }, 'alert notification sent')
      else log.warn({ alert: name, notice: id, webhook, attempts: delivery.attempts, error: delivery.error }, 'alert notification failed')
      const done = noticeDone(this.init.states()[name], id, delivery, this.now())
      if (done !== undefined) this.write(name, done)
    }
    run().catch((err: unknown) => { if (!signal.aborted) log.error({ err, alert: name }, 'alert notification failed') }).finally(() => { this.inFlight.delete(id); this.claimed.delete(id); this.announce.delete(id) })
  }

  // Every member's mesh traffic since the last pass, summed per service (counters are
  // cumulative: a member seen for the first time, or restarted, counts from its next pass).
  private async trafficDelta (): Promise<TrafficSample[] | undefined> {
    const members = await this.init.traffic?.().catch(() => undefined)
    if (members === undefined) return undefined
    const sums = new Map<string, TrafficSample>()
    const seen = new Map<string, TrafficSample>()
    for (const [member, samples] of members) {
      for (const s of samples) {
        const key = `${member}/${s.service}`
        const last = this.lastTraffic.get(key)
        seen.set(key, s)
        const sum = sums.get(s.service) ?? { service: s.service, connections: 0, errors: 0 }
        if (last !== undefined && last.connections <= s.connections && last.errors <= s.errors) {
          sum.connections += s.connections - last.connections
          sum.errors += s.errors - last.errors
        }
        sums.set(s.service, sum)
      }
    }
    // A member that did not answer this time keeps its last counters for the next.
    for (const [key, s] of this.lastTraffic) if (!seen.has(key)) seen.set(key, s)
    this.lastTraffic = seen
    return [...sums.values()]
  }
}
