// What a log stream carries, between members and to clients (newline-delimited JSON).

/** One line of one replica. `time` is Docker's, normalised to RFC 3339 with 9 fraction digits (so text order is time order). */
export interface LogLine {
  time: string
  service: string
  slot: number
  /** The name of the node the replica runs on. */
  node: string
  stream: 'stdout' | 'stderr'
  line: string
}

/** Everything before this in a followed stream was history; what follows is live, in arrival order. */
export interface LiveMark { live: true }
/** Nothing happened for a while (a followed stream stays open). */
export interface Ping { ping: true }
/** A source stopped answering: a member (unreachable) or a replica's log. */
export interface Lost { lost: string, why: string }

export type LogItem = LogLine | LiveMark | Ping | Lost

/** What a client asked for, validated: since is absolute (ms since the epoch). */
export interface LogQuery {
  follow: boolean
  /** Lines per replica before following; undefined: all. */
  tail?: number
  since?: number
  timestamps: boolean
}

export function isLine (item: LogItem): item is LogLine {
  return 'line' in item
}
