import type { Logger } from '../../logger.ts'
import { probeCmd, probeHttp, probeTcp, type ExecFn, type ProbeResult } from './probe.ts'
import { START_INTERVAL_MS } from './constants.ts'

/** A health check with every default applied and durations in milliseconds. */
export interface ResolvedHealth {
  type: 'tcp' | 'http' | 'cmd'
  /** Container port probed by tcp and http. */
  port?: number
  path: string
  cmd: string[]
  intervalMs: number
  timeoutMs: number
  retries: number
  startPeriodMs: number
}

export type HealthState = 'starting' | 'healthy' | 'unhealthy'

export interface HealthMonitorInit {
  check: ResolvedHealth
  /** The "host:port" publishing a container port, or undefined while it has none. */
  endpoint: (port: number) => string | undefined
  exec: ExecFn
  /** Called on transitions only, never twice in a row with the same state. */
  onChange: (state: 'healthy' | 'unhealthy', detail: string) => void
  log: Logger
}

/**
 * Probes one replica the way Docker's HEALTHCHECK does: at once, then every interval
 * without overlap; the first success is healthy, `retries` consecutive failures are
 * unhealthy, and failures inside the start period do not count until it was healthy once.
 */
export class HealthMonitor {
  private readonly init: HealthMonitorInit
  private current: HealthState = 'starting'
  private failures = 0
  private everHealthy = false
  private startedAt = 0
  private lastCountedFailure = Number.NEGATIVE_INFINITY
  private timer?: NodeJS.Timeout
  // One controller per start(): a probe still in flight from before stop() must not count.
  private controller?: AbortController

  constructor (init: HealthMonitorInit) {
    this.init = init
  }

  /** The last reported state; 'starting' until the first transition. */
  get state (): HealthState {
    return this.current
  }

  start (): void {
    if (this.controller !== undefined) return
    const controller = new AbortController()
    this.controller = controller
    this.startedAt = performance.now()
    this.lastCountedFailure = Number.NEGATIVE_INFINITY
    this.tick(controller)
  }

  stop (): void {
    this.controller?.abort()
    this.controller = undefined
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private tick (controller: AbortController): void {
    const began = performance.now()
    this.probe(controller.signal)
      .then(result => { if (!controller.signal.aborted) this.record(result) })
      .catch(err => { this.init.log.error({ err }, 'health probe failed unexpectedly') })
      .finally(() => {
        if (controller.signal.aborted) return
        // A fixed cadence from probe start; a slow probe delays the next, never overlaps it.
        const wait = Math.max(0, this.cadenceMs() - (performance.now() - began))
        this.timer = setTimeout(() => { this.tick(controller) }, wait)
      })
  }

  /** Until the first success, probe fast (Docker's start_interval) so readiness shows at once. */
  private cadenceMs (): number {
    return this.everHealthy ? this.init.check.intervalMs : Math.min(this.init.check.intervalMs, START_INTERVAL_MS)
  }

  private async probe (signal: AbortSignal): Promise<ProbeResult> {
    const { check } = this.init
    if (check.type === 'cmd') return await probeCmd(this.init.exec, check.cmd, check.timeoutMs, { signal })
    if (check.port === undefined) return { ok: false, detail: `${check.type} check has no port to probe` }
    const endpoint = this.init.endpoint(check.port)
    if (endpoint === undefined) return { ok: false, detail: `container port ${check.port} is not published` }
    if (check.type === 'http') return await probeHttp(endpoint, check.path, check.timeoutMs, { signal })
    return await probeTcp(endpoint, check.timeoutMs, { signal })
  }

  private record (result: ProbeResult): void {
    const { log, check } = this.init
    if (result.ok) {
      this.failures = 0
      this.everHealthy = true
      this.transition('healthy', result.detail)
      return
    }
    if (!this.everHealthy && performance.now() - this.startedAt < check.startPeriodMs) {
      log.debug({ detail: result.detail }, 'health probe failed during the start period')
      return
    }
    // Fast start probes must not shorten the road to unhealthy: count one failure per interval.
    const now = performance.now()
    if (!this.everHealthy && now - this.lastCountedFailure < check.intervalMs) return
    this.lastCountedFailure = now
    this.failures++
    log.debug({ detail: result.detail, failures: this.failures }, 'health probe failed')
    if (this.failures >= Math.max(1, check.retries)) this.transition('unhealthy', result.detail)
  }

  private transition (state: 'healthy' | 'unhealthy', detail: string): void {
    if (this.current === state) return
    this.current = state
    try {
      this.init.onChange(state, detail)
    } catch (err) {
      this.init.log.error({ err, state }, 'health change handler threw')
    }
  }
}
