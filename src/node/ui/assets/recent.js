// The recent events the page lists: the newest first, at most `limit`, each once. The
// stream sends its history again after a reconnect; an event is its node's id and time
// (a restarted node counts its ids from 1 again), so a repeat is dropped. A frame without one (meshd.unreachable: { node }) is news each time,
// stamped with the time it arrived. Pure.

export class RecentEvents {
  constructor (limit = 100) {
    this.limit = limit
    /** Newest first. */
    this.list = []
    this.seen = new Set()
  }

  /** Adds a frame of the stream (its `event:` kind and parsed data) heard at `now`; false for a repeat. */
  add (kind, event, now) {
    if (typeof event.id === 'number') {
      const key = keyOf(event)
      if (this.seen.has(key)) return false
      this.seen.add(key)
    }
    this.list.push({ time: now, ...event, kind: event.kind ?? kind })
    this.list.sort((a, b) => b.time - a.time)
    this.list.splice(this.limit)
    // Only events as old as the kept ones come again (a reconnect asks from the newest): forget the rest.
    if (this.seen.size > this.limit * 10) this.seen = new Set(this.list.filter((e) => typeof e.id === 'number').map(keyOf))
    return true
  }
}

function keyOf (event) {
  return `${event.node}:${event.id}:${event.time}:${event.kind}`
}
