import { setTimeout as sleep } from 'node:timers/promises'
import type Docker from 'dockerode'
import type { Logger } from '../../logger.ts'
import { WATCH_BACKOFF_MAX_MS, WATCH_BACKOFF_MIN_MS } from './constants.ts'
import { LABELS, type ContainerEvent } from './types.ts'

export interface EventWatcherInit {
  docker: Docker
  nodeName: string
  log: Logger
  onEvent: (event: ContainerEvent) => void
  backoffMinMs?: number
  backoffMaxMs?: number
}

/** The action reported after the stream came back: events may have been missed, resync. */
export const RECONNECTED = 'reconnected'

/** ContainerEvent from one line of Docker's event stream; undefined for lines meshd ignores. */
export function toContainerEvent (raw: unknown): ContainerEvent | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined
  const message = raw as { Action?: unknown, status?: unknown, id?: unknown, Actor?: { ID?: unknown, Attributes?: Record<string, string> } }
  const fullAction = typeof message.Action === 'string' ? message.Action : message.status
  if (typeof fullAction !== 'string') return undefined
  // "health_status: healthy" and "exec_create: sh -c ..." carry details after the colon.
  const action = fullAction.split(':')[0]?.trim() ?? ''
  // Every cmd health probe is an exec; those events would wake the reconciler for nothing.
  if (action === '' || action.startsWith('exec_')) return undefined
  const id = typeof message.Actor?.ID === 'string' ? message.Actor.ID : message.id
  if (typeof id !== 'string') return undefined
  const attributes = message.Actor?.Attributes ?? {}
  const slot = Number(attributes[LABELS.slot])
  const exitCode = Number(attributes.exitCode)
  return {
    id,
    action,
    ...(action === 'die' && attributes.exitCode !== undefined && Number.isInteger(exitCode) ? { exitCode } : {}),
    ...(attributes[LABELS.service] === undefined ? {} : { service: attributes[LABELS.service] }),
    ...(Number.isInteger(slot) && attributes[LABELS.slot] !== undefined ? { slot } : {})
  }
}

/**
 * Follows the engine's event stream for this node's containers, reconnecting with
 * backoff while the engine is away, and reporting RECONNECTED once it is back.
 */
export class EventWatcher {
  private readonly init: EventWatcherInit
  private controller?: AbortController
  private loop?: Promise<void>

  constructor (init: EventWatcherInit) {
    this.init = init
  }

  start (): void {
    if (this.controller !== undefined) return
    const controller = new AbortController()
    this.controller = controller
    this.loop = this.follow(controller.signal)
      .catch(err => { this.init.log.error({ err }, 'docker event watch failed') })
  }

  async stop (): Promise<void> {
    this.controller?.abort()
    this.controller = undefined
    await this.loop
    this.loop = undefined
  }

  private async follow (signal: AbortSignal): Promise<void> {
    const { log } = this.init
    const minMs = this.init.backoffMinMs ?? WATCH_BACKOFF_MIN_MS
    const maxMs = this.init.backoffMaxMs ?? WATCH_BACKOFF_MAX_MS
    let delay = minMs
    let outage = false
    while (!signal.aborted) {
      try {
        const stream = await this.init.docker.getEvents({
          filters: { type: ['container'], label: [`${LABELS.node}=${this.init.nodeName}`] },
          abortSignal: signal
        })
        if (outage) {
          // Events were missed while away (or before the first connect succeeded).
          log.info('docker engine reachable again, resyncing')
          this.emit({ id: '', action: RECONNECTED })
          outage = false
        }
        delay = minMs
        await this.consume(stream)
      } catch (err) {
        if (signal.aborted) return
        if (!outage) log.warn({ err }, 'docker engine unreachable, retrying')
        outage = true
      }
      if (signal.aborted) return
      if (!outage) {
        // The engine closed the stream (restarting?): the same outage as a refused connect.
        log.warn('docker engine unreachable, retrying')
        outage = true
      }
      await sleep(delay, undefined, { signal }).catch(() => {})
      delay = Math.min(delay * 2, maxMs)
    }
  }

  private async consume (stream: NodeJS.ReadableStream): Promise<void> {
    let pending = ''
    for await (const chunk of stream) {
      pending += chunk.toString()
      let newline: number
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline).trim()
        pending = pending.slice(newline + 1)
        if (line !== '') this.parse(line)
      }
    }
  }

  private parse (line: string): void {
    let raw: unknown
    try {
      raw = JSON.parse(line)
    } catch {
      this.init.log.debug({ line }, 'ignoring an unparsable docker event')
      return
    }
    const event = toContainerEvent(raw)
    if (event !== undefined) this.emit(event)
  }

  private emit (event: ContainerEvent): void {
    try {
      this.init.onEvent(event)
    } catch (err) {
      this.init.log.error({ err, event }, 'container event handler threw')
    }
  }
}
