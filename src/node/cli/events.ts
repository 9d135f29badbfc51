// `meshd events [--service NAME] [--since 10m] [--json]`: the cluster's events as they
// happen, from every node (GET /v1/events), after the recent history; it follows until
// Ctrl-C. A node that does not answer is printed as `NODE: unreachable`.

import type { Command } from 'commander'
import { SseParser, UNREACHABLE } from '../events/index.ts'
import type { MeshEvent, SseFrame } from '../events/index.ts'
import { parseDuration } from '../spec/index.ts'
import { clientOf, withClientOptions } from './connection.ts'
import type { ClientFlags } from './connection.ts'

interface EventsFlags extends ClientFlags {
  service?: string
  since?: string
}

export function registerEventsCommand (program: Command): void {
  withClientOptions(program.command('events')
    .description('follow the cluster\'s events (deploys, scales, replicas, members, rollouts) from every node, until Ctrl-C')
    .option('--service <name>', 'only the events of this service')
    .option('--since <duration>', 'history from this long ago (10m, 1h30m) or from a time (2026-01-01T10:00:00Z); default: all each node keeps'))
    .action(async (flags: EventsFlags) => {
      const query = new URLSearchParams()
      if (flags.service !== undefined) query.set('service', flags.service)
      if (flags.since !== undefined) query.set('since', String(sinceOf(flags.since, Date.now())))
      const text = query.toString()
      const stream = await clientOf(flags).download(`/v1/events${text === '' ? '' : `?${text}`}`)
      let stopped = false
      const stop = (): void => {
        stopped = true
        stream.destroy()
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      const parser = new SseParser()
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          for (const frame of parser.push(chunk.toString('utf8'))) process.stdout.write(lineOf(frame, flags.json === true))
        }
      } catch (err) {
        if (!stopped) throw new Error(`the event stream failed: ${(err as Error).message}`)
      } finally {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
      }
      if (!stopped) throw new Error('the event stream ended (the node stopped?)')
    })
}

/** `--since`: a duration before `now` or a time; the ms since the epoch. */
export function sinceOf (text: string, now: number): number {
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const at = Date.parse(text)
    if (Number.isFinite(at)) return at
  } else {
    try {
      return Math.max(0, now - parseDuration(text))
    } catch {}
  }
  throw new Error(`--since: "${text}" is neither a duration (10m, 1h30m) nor a time (2026-01-01T10:00:00Z)`)
}

/** One frame as a line: JSON (every line has `kind`), or `TIME NODE KIND MESSAGE`. */
export function lineOf (frame: SseFrame, json: boolean): string {
  let data: Record<string, unknown>
  try {
    data = JSON.parse(frame.data) as Record<string, unknown>
  } catch {
    return ''
  }
  if (frame.event === UNREACHABLE) {
    return json ? `${JSON.stringify({ kind: UNREACHABLE, node: data.node, time: Date.now() })}\n` : `${printable(String(data.node))}: unreachable\n`
  }
  if (json) return `${JSON.stringify(data)}\n`
  const event = data as unknown as MeshEvent
  return `${new Date(event.time).toISOString()}  ${printable(String(event.node)).padEnd(12)} ${printable(String(event.kind)).padEnd(18)} ${printable(String(event.message))}\n`
}

/** Text from the cluster without control characters: a member's message cannot drive the terminal. */
function printable (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
}
