// Live lines in time order. Following, the members' lines arrive in batches (a member's
// sealed frames go out at most PARTIAL_FRAME_MS apart) while this node's own arrive at
// once, so arrival order is not time order across nodes. Each live line is held for
// `holdMs` after it arrived and lines go out oldest first: lines that arrive within that
// window of each other come out in time order. At most `maxBytes` of lines are held (the
// oldest goes out early beyond that); everything before the {live} mark passes as it is.

import { isLine } from './types.ts'
import type { LogItem, LogLine } from './types.ts'

const DUE = Symbol('due')

/** `items` with the live lines reordered by time within a window of `holdMs`. */
export async function * inTimeOrder (items: AsyncGenerator<LogItem>, holdMs: number, maxBytes: number): AsyncGenerator<LogItem> {
  const held: Array<{ line: LogLine, due: number, bytes: number }> = []
  let bytes = 0
  let live = false
  let next: Promise<IteratorResult<LogItem>> | undefined
  const take = (): LogLine => {
    const first = held.shift()!
    bytes -= first.bytes
    return first.line
  }
  try {
    while (true) {
      next ??= items.next()
      let timer: NodeJS.Timeout | undefined
      const due = held.length === 0 ? undefined : new Promise<typeof DUE>((resolve) => { timer = setTimeout(() => { resolve(DUE) }, Math.max(0, held[0]!.due - Date.now())) })
      const result = due === undefined ? await next : await Promise.race([next, due])
      clearTimeout(timer)
      if (result !== DUE) {
        next = undefined
        if (result.done === true) break
        const item = result.value
        if (live && isLine(item)) {
          const size = item.line.length + 64
          held.splice(indexAfter(held, item.time), 0, { line: item, due: Date.now() + holdMs, bytes: size })
          bytes += size
        } else {
          if ('live' in item) live = true
          yield item
        }
      }
      while (held.length > 0 && (bytes > maxBytes || held[0]!.due <= Date.now())) yield take()
    }
    while (held.length > 0) yield take()
  } finally {
    void items.return(undefined).catch(() => {})
  }
}

/** Where a line of `time` goes in `held` (sorted by time): after every line of the same time or older. */
function indexAfter (held: ReadonlyArray<{ line: LogLine }>, time: string): number {
  let low = 0
  let high = held.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (held[middle]!.line.time <= time) low = middle + 1
    else high = middle
  }
  return low
}
