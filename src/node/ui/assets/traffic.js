// Mesh traffic per service as rates over time, from successive readings of this node's
// GET /v1/mesh (its counters only grow; a smaller one means the node restarted). Pure.

/** How many samples a service keeps: two minutes at one reading a second. */
export const SAMPLES = 120

export class Traffic {
  constructor (limit = SAMPLES) {
    this.limit = limit
    this.last = undefined
    /** service → [{ time, connections, bytesIn, bytesOut, errors }] per second */
    this.series = new Map()
    /** service → the latest counters: { active, total, bytesIn, bytesOut, errors, retries } */
    this.current = new Map()
  }

  /** Adds a reading of GET /v1/mesh taken at time (ms). */
  add (time, mesh) {
    const counters = new Map((mesh?.services ?? []).map((s) => [s.service, {
      active: s.connections?.active ?? 0,
      total: s.connections?.total ?? 0,
      bytesIn: s.bytesIn ?? 0,
      bytesOut: s.bytesOut ?? 0,
      errors: s.errors ?? 0,
      retries: s.retries ?? 0
    }]))
    const last = this.last
    this.last = { time, counters }
    this.current = counters
    for (const name of this.series.keys()) if (!counters.has(name)) this.series.delete(name)
    if (last === undefined || time <= last.time) return
    const seconds = (time - last.time) / 1000
    for (const [name, now] of counters) {
      const before = last.counters.get(name) ?? { total: 0, bytesIn: 0, bytesOut: 0, errors: 0 }
      const rate = (key) => Math.max(0, now[key] - before[key]) / seconds
      const samples = this.series.get(name) ?? []
      samples.push({ time, connections: rate('total'), bytesIn: rate('bytesIn'), bytesOut: rate('bytesOut'), errors: rate('errors') })
      if (samples.length > this.limit) samples.splice(0, samples.length - this.limit)
      this.series.set(name, samples)
    }
  }
}
