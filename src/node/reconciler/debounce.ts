// Events only mark work dirty; the work runs after a quiet gap, but never later than
// a maximum delay after the first mark, and never twice at once (SwarmKit's pattern).
// The first mark after a quiet spell runs at once: a lone deploy should not wait.

export interface DebounceOptions { gapMs: number, maxDelayMs: number }

export class DebouncedRunner {
  private readonly run: () => Promise<void>
  private readonly options: DebounceOptions
  private timer: NodeJS.Timeout | undefined
  private firstMark = 0
  private lastRunEnd = 0
  private running = false
  private dirtyWhileRunning = false
  private stopped = true

  constructor (run: () => Promise<void>, options: DebounceOptions) {
    this.run = run
    this.options = options
  }

  start (): void { this.stopped = false }

  stop (): void {
    this.stopped = true
    clearTimeout(this.timer)
    this.timer = undefined
  }

  /** Asks for a run soon; `delayMs` schedules it no earlier than that (for backoff). */
  mark (delayMs = this.options.gapMs): void {
    if (this.stopped) return
    if (this.running) { this.dirtyWhileRunning = true; return }
    const now = Date.now()
    if (this.timer === undefined) {
      this.firstMark = now
      if (delayMs === this.options.gapMs && now - this.lastRunEnd >= this.options.gapMs) delayMs = 0
    }
    const deadline = this.firstMark + Math.max(this.options.maxDelayMs, delayMs)
    const wait = Math.max(0, Math.min(delayMs, deadline - now))
    clearTimeout(this.timer)
    this.timer = setTimeout(() => { this.fire() }, wait)
  }

  private fire (): void {
    this.timer = undefined
    this.running = true
    this.run().finally(() => {
      this.running = false
      this.lastRunEnd = Date.now()
      if (this.dirtyWhileRunning) {
        this.dirtyWhileRunning = false
        this.mark()
      }
    }).catch(() => {})
  }
}
