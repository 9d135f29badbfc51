// Health of a running replica: its spec's check probed by a HealthMonitor, or, with
// no check, healthy as soon as it runs (as in Docker without HEALTHCHECK).

import type { Logger } from '../../logger.ts'
import { HealthMonitor } from '../health/index.ts'
import type { ResolvedHealth } from '../health/index.ts'
import type { Runtime } from '../runtime/index.ts'
import type { Tracked } from './tracked.ts'

export interface WatchHandlers {
  runtime: Runtime
  log: Logger
  healthy: () => void
  unhealthy: (detail: string) => void
}

/** Starts watching a replica's health; returns the running monitor, or undefined when there is no check (healthy at once). */
export function watchReplica (tracked: Tracked, check: ResolvedHealth | undefined, handlers: WatchHandlers): HealthMonitor | undefined {
  if (check === undefined) {
    handlers.healthy()
    return undefined
  }
  const monitor = new HealthMonitor({
    check,
    endpoint: (port) => tracked.info?.ports.find((p) => p.target === port)?.endpoint,
    exec: async (cmd, timeoutMs) => await handlers.runtime.exec(tracked.id, cmd, { timeoutMs }),
    onChange: (state, detail) => {
      if (state === 'unhealthy') handlers.unhealthy(detail)
      else handlers.healthy()
    },
    log: handlers.log.child({ container: tracked.id.slice(0, 12) })
  })
  monitor.start()
  return monitor
}
