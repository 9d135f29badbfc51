// Log items as newline-delimited JSON, both ways, and a Readable over an async generator
// that stops the generator's work (its abort signal) the moment the reader goes away.

import { Readable } from 'node:stream'
import { LineSplitter, normalTime } from './lines.ts'
import { isLine } from './types.ts'
import type { LogItem, LogLine } from './types.ts'

/** A member's line of JSON is at most this long (a LINE_MAX_BYTES line escaped, and its fields). */
const WIRE_LINE_MAX = 128 * 1024

/** One item as a member sends it: a line with its time, {"live":true}, or an empty line (ping). Lost items are not sent. */
export function memberLine (item: LogItem): string {
  if (isLine(item) || 'live' in item) return `${JSON.stringify(item)}\n`
  return '\n'
}

/** The items a member sent, as they stream; a line that is not a well-formed item is skipped (a member is not trusted blindly). */
export async function * memberItems (body: AsyncIterable<Buffer>): AsyncGenerator<LogItem> {
  const lines = new LineSplitter(WIRE_LINE_MAX)
  for await (const chunk of body) {
    for (const text of lines.push(chunk)) {
      const item = itemOf(text)
      if (item !== undefined) yield item
    }
  }
}

function itemOf (text: string): LogItem | undefined {
  if (text === '') return { ping: true }
  let value: Record<string, unknown>
  try {
    value = JSON.parse(text) as Record<string, unknown>
  } catch {
    return undefined
  }
  if (value?.live === true) return { live: true }
  const { time, service, slot, node, stream, line } = value ?? {}
  if (typeof time !== 'string' || normalTime(time) !== time || typeof service !== 'string' || typeof node !== 'string' ||
    typeof slot !== 'number' || !Number.isSafeInteger(slot) || (stream !== 'stdout' && stream !== 'stderr') || typeof line !== 'string') return undefined
  return { time, service, slot, node, stream, line }
}

/**
 * The client's stream: each line as {time?, service, slot, node, stream, line} (time only
 * when asked for), an empty line to keep a quiet follow open, and {"unreachable":[names]}
 * for members that did not answer: at the end (always, even empty) unless following; when
 * following, once history is out and then for each member lost later.
 */
export async function * clientLines (items: AsyncIterable<LogItem>, timestamps: boolean, follow: boolean): AsyncGenerator<string> {
  const unreachable: string[] = []
  const reasons: Record<string, string> = {}
  let live = false
  for await (const item of items) {
    if (isLine(item)) yield `${JSON.stringify(timestamps ? item : withoutTime(item))}\n`
    else if ('ping' in item) yield '\n'
    else if ('live' in item) {
      live = true
      if (unreachable.length > 0) yield `${JSON.stringify({ unreachable, reasons })}\n`
    } else if (live) {
      yield `${JSON.stringify({ unreachable: [item.lost], reasons: { [item.lost]: item.why } })}\n`
    } else {
      unreachable.push(item.lost)
      reasons[item.lost] = item.why
    }
  }
  if (!follow) yield `${JSON.stringify({ unreachable, reasons })}\n`
}

function withoutTime (line: LogLine): Omit<LogLine, 'time'> {
  const { time: _time, ...rest } = line
  return rest
}

/** A byte stream of `lines`, read only as fast as its reader reads; destroying it aborts `controller` at once and ends the generator. */
export function readableOf (lines: AsyncGenerator<string>, controller: AbortController): Readable {
  let pumping = false
  const readable = new Readable({
    read () {
      if (pumping) return
      pumping = true
      void pump()
    },
    destroy (err, callback) {
      controller.abort()
      void lines.return(undefined).catch(() => {})
      callback(err)
    }
  })
  const pump = async (): Promise<void> => {
    try {
      while (true) {
        const next = await lines.next()
        if (next.done === true) {
          readable.push(null)
          return
        }
        if (!readable.push(next.value)) break
      }
      pumping = false
    } catch (err) {
      readable.destroy(err as Error)
    }
  }
  return readable
}
