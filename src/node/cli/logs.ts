// `meshd service logs NAME [-f] [--tail N] [--since 10m] [--timestamps] [--json]`: the
// lines of every replica of a service on every node, merged in time order by the node
// asked (GET /v1/services/NAME/logs), each as "NAME.SLOT@node | line". Members that did
// not answer are named on stderr ("node-2: unreachable") when the answer ends. Lines are
// written only as fast as stdout takes them, so a slow reader slows the stream.

import type { Command } from 'commander'
import type { Readable, Writable } from 'node:stream'
import { once } from 'node:events'
import { StringDecoder } from 'node:string_decoder'
import { formatLogLine } from '../logs/index.ts'
import type { LogLine } from '../logs/index.ts'
import { clientOf, withClientOptions } from './connection.ts'
import type { ClientFlags } from './connection.ts'

/** Where the command prints: the process's streams, or a test's. */
export interface LogsIo { stdout: Writable, stderr: Writable }

const processIo: LogsIo = { get stdout () { return process.stdout }, get stderr () { return process.stderr } }

interface LogsFlags extends ClientFlags {
  follow?: boolean
  tail?: string
  since?: string
  timestamps?: boolean
}

/** Adds `logs` to the `service` command (made here when absent). */
export function registerLogsCommand (program: Command, io: LogsIo = processIo): void {
  const service = program.commands.find((command) => command.name() === 'service') ?? program.command('service')
  withClientOptions(service.command('logs')
    .description('show the log lines of every replica of a service on every node, in time order')
    .argument('<name>')
    .option('-f, --follow', 'keep printing new lines, also of replicas that start later')
    .option('--tail <n>', 'only the last N lines of each replica ("all" for every line)')
    .option('--since <when>', 'only lines since then: a duration ago (10m, 1h30m), an RFC 3339 time or Unix seconds')
    .option('-t, --timestamps', 'show the time Docker recorded for each line'))
    .action(async (name: string, flags: LogsFlags) => {
      const body = await clientOf(flags).download(`/v1/services/${encodeURIComponent(name)}/logs${logsQuery(flags)}`)
      await printLogs(body, io, flags.json === true)
    })
}

/** The query string of the flags (the API validates the values). */
export function logsQuery (flags: LogsFlags): string {
  const query = new URLSearchParams()
  if (flags.follow === true) query.set('follow', '1')
  if (flags.tail !== undefined) query.set('tail', flags.tail)
  if (flags.since !== undefined) query.set('since', flags.since)
  if (flags.timestamps === true) query.set('timestamps', '1')
  const text = query.toString()
  return text === '' ? '' : `?${text}`
}

/**
 * Prints the stream's lines (formatted, or as they came with `json`) and each member
 * reported unreachable on stderr as it is reported (at the end, unless following);
 * resolves at the end with those members and why.
 */
export async function printLogs (body: Readable, io: LogsIo, json: boolean): Promise<Map<string, string>> {
  const unreachable = new Map<string, string>()
  const decoder = new StringDecoder('utf8')
  let partial = ''
  const take = async (text: string): Promise<void> => {
    if (text === '') return
    const item = JSON.parse(text) as (Omit<LogLine, 'time'> & { time?: string }) | { unreachable: string[], reasons?: Record<string, string> }
    if ('unreachable' in item) {
      for (const node of item.unreachable) {
        const why = item.reasons?.[node] ?? ''
        unreachable.set(node, why)
        io.stderr.write(`${node}: unreachable${why === '' ? '' : ` (${why})`}\n`)
      }
    }
    const out = json ? `${text}\n` : 'unreachable' in item ? '' : `${formatLogLine(item)}\n`
    if (out !== '' && !io.stdout.write(out)) await once(io.stdout, 'drain')
  }
  for await (const chunk of body) {
    const lines = (partial + decoder.write(chunk as Buffer)).split('\n')
    partial = lines.pop() ?? ''
    for (const text of lines) await take(text)
  }
  await take(partial + decoder.end())
  return unreachable
}
