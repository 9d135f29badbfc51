// The one logger vocabulary of meshd. Every part takes a `Logger` (pino satisfies it);
// the daemon makes one per node (`nodeLogger`) and each part a child of it named
// `meshd:<part>` (`partLogger`), so every line carries the node's name and its part.

import { pino } from 'pino'

/** The minimal logger every component receives. */
export interface Logger {
  debug(obj: unknown, msg?: string): void
  info(obj: unknown, msg?: string): void
  warn(obj: unknown, msg?: string): void
  error(obj: unknown, msg?: string): void
  child(bindings: Record<string, unknown>): Logger
}

let root: pino.Logger | undefined

/** The process-wide root logger: JSON lines on stderr, level from MESHD_LOG (default info). */
export function rootLogger (): pino.Logger {
  root ??= pino({ level: process.env.MESHD_LOG ?? 'info', base: undefined }, pino.destination(2))
  return root
}

/** The logger of one node: every line it and its parts write names the node. */
export function nodeLogger (node: string): Logger {
  return rootLogger().child({ component: 'meshd:node', node })
}

/** The logger of one part of a node, e.g. partLogger(log, 'reconciler') → component "meshd:reconciler". */
export function partLogger (log: Logger, part: string): Logger {
  return log.child({ component: `meshd:${part}` })
}

/** A logger that drops everything (tools and tests that have nothing to say). */
export const silentLogger: Logger = {
  debug () {},
  info () {},
  warn () {},
  error () {},
  child () { return silentLogger }
}
