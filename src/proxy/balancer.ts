// Power of two choices: of two random endpoints, the one with fewer outstanding connections.

import type { Endpoint } from './endpoint.ts'

/** An endpoint for a new connection, preferring ones not marked down; undefined if none. */
export function pick (endpoints: readonly Endpoint[], now: number): Endpoint | undefined {
  const n = endpoints.length
  if (n < 2) return endpoints[0]
  const i = (Math.random() * n) | 0
  let j = (Math.random() * (n - 1)) | 0
  if (j >= i) j++
  const a = endpoints[i] as Endpoint
  const b = endpoints[j] as Endpoint
  const aUp = a.downUntil <= now
  const bUp = b.downUntil <= now
  if (aUp && bUp) return a.active <= b.active ? a : b
  if (aUp) return a
  if (bUp) return b
  return leastLoadedUp(endpoints, now) ?? (a.downUntil <= b.downUntil ? a : b)
}

// Both random picks were down: scan, as most endpoints being down is the rare case.
function leastLoadedUp (endpoints: readonly Endpoint[], now: number): Endpoint | undefined {
  let best: Endpoint | undefined
  for (const e of endpoints) {
    if (e.downUntil <= now && (best === undefined || e.active < best.active)) best = e
  }
  return best
}
