import { pino } from 'pino'
import type { Logger } from '../crdt/index.ts'

let root: pino.Logger | undefined

/** The process-wide root logger: JSON lines on stderr, level from MESHD_LOG (default info). */
export function rootLogger (): pino.Logger {
  root ??= pino({ level: process.env.MESHD_LOG ?? 'info', base: undefined }, pino.destination(2))
  return root
}

/** A logger for one component, e.g. logger('meshd:node:reconciler'). */
export function logger (component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ component, ...bindings })
}
