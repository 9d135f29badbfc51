// The members as the page shows them. Two loops and the event stream all tell the page
// about members, and their answers can arrive out of order: an answer to an older
// question never replaces a newer one, and a fresh member.alive/suspect/dead event sets
// that member's state at once, before the next poll. Pure: the caller gives the clocks.

/** A member event at most this old is news (older ones are history replayed at connect). */
export const MEMBER_EVENT_FRESH_MS = 5000

export class Members {
  constructor () {
    /** GET /v1/nodes as last accepted. */
    this.list = []
    /** When the question behind the last accepted answer was asked (a monotonic clock). */
    this.asked = -Infinity
    /** name → when (ms since the epoch) this page first showed the member in its current state. */
    this.since = new Map()
    this.shown = new Map()
  }

  /** An answer of GET /v1/nodes to a question asked at `asked`, arriving at `now`; false when a newer one is kept. */
  answer (list, asked, now) {
    if (asked < this.asked) return false
    this.asked = asked
    this.set(list, now)
    return true
  }

  /** A member event heard at `asked` (monotonic) and `now`; true when it changed a member's state. */
  news (event, asked, now) {
    const state = /^member\.(alive|suspect|dead)$/.exec(event?.kind ?? '')?.[1]
    if (state === undefined || typeof event.time !== 'number' || now - event.time > MEMBER_EVENT_FRESH_MS) return false
    const named = (m) => m.name === event.member || m.id === event.member
    if (!this.list.some((m) => named(m) && m.state !== state)) return false
    this.asked = asked
    this.set(this.list.map((m) => named(m) ? { ...m, state } : m), now)
    return true
  }

  set (list, now) {
    this.list = list
    for (const m of list) {
      if (this.shown.get(m.name) === m.state) continue
      this.shown.set(m.name, m.state)
      this.since.set(m.name, now)
    }
  }
}
