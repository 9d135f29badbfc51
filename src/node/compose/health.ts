// Compose healthcheck → meshd health {type: 'cmd'}: CMD runs its arguments, CMD-SHELL
// (or a plain string) runs /bin/sh -c, NONE or disable: true means no check. Durations
// are Go durations in both ("1m30s"), so they pass as written.

import { note, noteOthers, numberOf, problem } from './context.ts'
import type { Context } from './context.ts'
import type { ComposePath } from './types.ts'

const HONOURED = ['test', 'interval', 'timeout', 'retries', 'start_period', 'disable']

/** The meshd health check of a service's healthcheck map, or undefined for none. */
export function healthOf (ctx: Context, path: ComposePath, check: Record<string, unknown>): Record<string, unknown> | undefined {
  noteOthers(ctx, path, check, HONOURED, {
    start_interval: 'meshd probes every second until the first success (then at interval)'
  }, 'not used by meshd')
  if (check.disable === true || check.disable === 'true') return undefined
  const cmd = testCommand(ctx, [...path, 'test'], check.test)
  if (cmd === undefined) return undefined
  const health: Record<string, unknown> = { type: 'cmd', cmd }
  for (const [from, to] of [['interval', 'interval'], ['timeout', 'timeout'], ['start_period', 'startPeriod']] as const) {
    if (check[from] !== undefined) health[to] = String(check[from])
  }
  if (check.retries !== undefined) health.retries = numberOf(check.retries) ?? check.retries
  return health
}

function testCommand (ctx: Context, path: ComposePath, test: unknown): string[] | undefined {
  if (test === undefined) {
    note(ctx, path.slice(0, -1), 'no test: Docker would run the image\'s HEALTHCHECK; meshd does not, so the service has no check')
    return undefined
  }
  if (typeof test === 'string') return test.trim() === '' ? undefined : ['/bin/sh', '-c', test]
  const [kind, ...rest] = (test as unknown[]).map(String)
  switch (kind) {
    case 'NONE': return undefined
    case 'CMD':
      if (rest.length > 0) return rest
      break
    case 'CMD-SHELL':
      if (rest.length > 0) return ['/bin/sh', '-c', rest.join(' ')]
      break
    default:
      problem(ctx, path, `expected a list starting with "CMD", "CMD-SHELL" or "NONE", got ${JSON.stringify(kind ?? '')}`)
      return undefined
  }
  problem(ctx, path, `expected a command after "${kind}"`)
  return undefined
}
