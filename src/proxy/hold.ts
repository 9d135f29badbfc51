// Connections held while their service has no live endpoint and one is being started
// (an autoscaled service at zero replicas): each waits until the route has endpoints or
// its deadline passes (then it is refused, as it would have been at once).

import type { Socket } from 'node:net'

interface Held { resume: () => void, timer: NodeJS.Timeout, since: number }

export class HeldConnections {
  private readonly held = new Map<Socket, Held>()
  /** Clients held once already: never held twice. */
  private readonly seen = new WeakSet<Socket>()

  /** Holds `client` for at most `ms`, calling `resume` when released by `release()`; false when it was held before. */
  hold (client: Socket, ms: number, resume: () => void, onTimeout: () => void): boolean {
    if (this.seen.has(client)) return false
    this.seen.add(client)
    const timer = setTimeout(() => {
      this.held.delete(client)
      onTimeout()
      client.destroy()
    }, ms)
    this.held.set(client, { resume, timer, since: Date.now() })
    client.once('close', () => { this.forget(client) })
    return true
  }

  /** Resumes every held connection (the route has endpoints now). */
  release (): void {
    const held = [...this.held.values()]
    for (const [client] of this.held) this.forget(client)
    for (const h of held) h.resume()
  }

  /** Refuses every held connection (the listener closes). */
  refuseAll (): void {
    for (const client of [...this.held.keys()]) { this.forget(client); client.destroy() }
  }

  /** When the longest-held connection began to wait, or undefined when none waits. */
  since (): number | undefined {
    let first: number | undefined
    for (const h of this.held.values()) if (first === undefined || h.since < first) first = h.since
    return first
  }

  private forget (client: Socket): void {
    const h = this.held.get(client)
    if (h === undefined) return
    clearTimeout(h.timer)
    this.held.delete(client)
  }
}
