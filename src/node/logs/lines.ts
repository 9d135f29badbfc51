// A replica's log as Docker streams it, turned into lines: Docker's frames taken apart
// (stdout and stderr, unless the container has a TTY), each stream cut at newlines, and
// each line's leading timestamp read. Nothing is held beyond one partial line per stream.

import type { ContainerLog } from '../runtime/index.ts'
import { LINE_MAX_BYTES } from './constants.ts'

type StreamName = 'stdout' | 'stderr'

/** A piece of one of the container's streams. */
export interface Chunk { stream: StreamName, data: Buffer }

const HEADER_BYTES = 8

/** Takes Docker's multiplexed log apart: 8-byte headers (stream, 0, 0, 0, u32 size) then that many bytes; payloads pass as they come. */
export class FrameParser {
  private header = Buffer.alloc(0)
  private remaining = 0
  private stream: StreamName = 'stdout'

  /** The stream pieces in `chunk` (a frame may span chunks, a chunk many frames). */
  push (chunk: Buffer): Chunk[] {
    const out: Chunk[] = []
    let offset = 0
    while (offset < chunk.byteLength) {
      if (this.remaining > 0) {
        const data = chunk.subarray(offset, offset + this.remaining)
        out.push({ stream: this.stream, data })
        this.remaining -= data.byteLength
        offset += data.byteLength
        continue
      }
      const need = HEADER_BYTES - this.header.byteLength
      this.header = Buffer.concat([this.header, chunk.subarray(offset, offset + need)])
      offset += Math.min(need, chunk.byteLength - offset)
      if (this.header.byteLength < HEADER_BYTES) break
      this.stream = this.header[0] === 2 ? 'stderr' : 'stdout'
      this.remaining = this.header.readUInt32BE(4)
      this.header = Buffer.alloc(0)
    }
    return out
  }
}

/** Cuts one stream into lines (without "\n" or a trailing "\r"); a line longer than `max` bytes comes out in pieces. */
export class LineSplitter {
  private partial: Buffer[] = []
  private size = 0
  private readonly max: number

  constructor (max = LINE_MAX_BYTES) {
    this.max = max
  }

  push (data: Buffer): string[] {
    const lines: string[] = []
    let start = 0
    for (let at = data.indexOf(10); at !== -1; at = data.indexOf(10, start)) {
      this.add(data.subarray(start, at), lines)
      lines.push(this.take())
      start = at + 1
    }
    this.add(data.subarray(start), lines)
    return lines
  }

  /** The last line, when the stream ended without a newline. */
  end (): string[] {
    return this.size > 0 ? [this.take()] : []
  }

  private add (piece: Buffer, lines: string[]): void {
    while (this.size + piece.byteLength > this.max) {
      const room = this.max - this.size
      this.partial.push(piece.subarray(0, room))
      this.size += room
      lines.push(this.take())
      piece = piece.subarray(room)
    }
    if (piece.byteLength === 0) return
    this.partial.push(piece)
    this.size += piece.byteLength
  }

  private take (): string {
    const text = Buffer.concat(this.partial).toString('utf8')
    this.partial = []
    this.size = 0
    return text.endsWith('\r') ? text.slice(0, -1) : text
  }
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/

/** Docker's RFC 3339 UTC time with exactly 9 fraction digits, so that comparing texts compares times; undefined if it is not one. */
export function normalTime (text: string): string | undefined {
  const match = TIMESTAMP.exec(text)
  if (match === null) return undefined
  return `${match[1]}.${(match[2] ?? '').padEnd(9, '0')}Z`
}

/** A normalised time of `ms` since the epoch. */
export function timeOfMs (ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000000Z')
}

/** A normalised time as Docker's `since` ("SECONDS.NANOSECONDS"). */
export function dockerSince (time: string): string {
  return `${Math.floor(Date.parse(`${time.slice(0, 19)}Z`) / 1000)}.${time.slice(20, 29)}`
}

/** A timestamped line read: its time (the previous line's when it has none: a piece of a long line) and its text. */
export function readLine (text: string, previous: string): { time: string, line: string } {
  const space = text.indexOf(' ')
  const time = space === -1 ? undefined : normalTime(text.slice(0, space))
  return time === undefined ? { time: previous, line: text } : { time, line: text.slice(space + 1) }
}

/** The lines of a container's log, in Docker's order, as they stream. */
export async function * timedLines (log: ContainerLog): AsyncGenerator<{ time: string, stream: StreamName, line: string }> {
  const frames = log.tty ? undefined : new FrameParser()
  const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() }
  const last = { stdout: timeOfMs(0), stderr: timeOfMs(0) }
  const read = (stream: StreamName, text: string): { time: string, stream: StreamName, line: string } => {
    const { time, line } = readLine(text, last[stream])
    last[stream] = time
    return { time, stream, line }
  }
  for await (const chunk of log.stream as AsyncIterable<Buffer>) {
    const pieces = frames === undefined ? [{ stream: 'stdout' as const, data: chunk }] : frames.push(chunk)
    for (const { stream, data } of pieces) {
      for (const text of splitters[stream].push(data)) yield read(stream, text)
    }
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    for (const text of splitters[stream].end()) yield read(stream, text)
  }
}
