// Server-Sent Events framing (the WHATWG event-stream format): an event is
// `event: <kind>` and `data: <one line of JSON>` ended by a blank line; a line starting
// with `:` is a comment (the keep-alive ping). The parser is the CLI's side of it.

import type { MeshEvent } from './types.ts'

/** The kind of the frame a stream sends for a member that does not answer. */
export const UNREACHABLE = 'meshd.unreachable'

/** One event as an SSE frame. JSON.stringify never emits a raw newline, so the data is one line. */
export function sseEvent (event: MeshEvent): string {
  return `event: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`
}

/** The frame saying a member does not answer. */
export function sseUnreachable (node: string): string {
  return `event: ${UNREACHABLE}\ndata: ${JSON.stringify({ node })}\n\n`
}

/** A comment frame (`: ping`). */
export function sseComment (text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`
}

/** One frame as read back: its event name (default "message") and its data lines joined. */
export interface SseFrame { event: string, data: string }

/** Splits a stream of text into frames; comments are skipped. Holds at most one unfinished frame. */
export class SseParser {
  private buffer = ''
  private event = ''
  private data: string[] = []
  private readonly maxBytes: number

  constructor (maxBytes = 1024 * 1024) {
    this.maxBytes = maxBytes
  }

  /** The frames completed by `chunk`; throws when a frame grows past maxBytes. */
  push (chunk: string): SseFrame[] {
    this.buffer += chunk
    const frames: SseFrame[] = []
    let at: number
    while ((at = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A CR last in the chunk may be the first half of a CRLF: wait for the next chunk.
      if (at === this.buffer.length - 1 && this.buffer.endsWith('\r')) break
      const line = this.buffer.slice(0, at)
      this.buffer = this.buffer.slice(at + (this.buffer.startsWith('\r\n', at) ? 2 : 1))
      const frame = this.line(line)
      if (frame !== undefined) frames.push(frame)
    }
    if (this.buffer.length + this.data.reduce((n, d) => n + d.length, 0) > this.maxBytes) throw new Error(`an event of more than ${this.maxBytes} bytes`)
    return frames
  }

  private line (line: string): SseFrame | undefined {
    if (line === '') {
      const frame = this.data.length === 0 ? undefined : { event: this.event === '' ? 'message' : this.event, data: this.data.join('\n') }
      this.event = ''
      this.data = []
      return frame
    }
    if (line.startsWith(':')) return undefined
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'event') this.event = value
    else if (field === 'data') this.data.push(value)
    return undefined
  }
}
