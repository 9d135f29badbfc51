// `meshd secret|config create|ls|inspect|update|rm`: the secrets and configs of services,
// one implementation for both kinds. Content comes from a file or stdin, never from an
// argument (stored-content.ts); a secret's value is never printed, a config's only with
// `config inspect --show`.

import type { Command } from 'commander'
import type { Readable, Writable } from 'node:stream'
import type { ConfigContentView, StoredView } from '../api/index.ts'
import { clientOf, withClientOptions } from './connection.ts'
import type { ClientFlags } from './connection.ts'
import { contentSource, MAX_STORED_BYTES, readContent, sizeText } from './stored-content.ts'
import type { StoredKind } from './stored-content.ts'
import { describeStored, storedTable, updateText } from './stored-format.ts'

/** The streams the commands use: the process's, or a test's. */
export interface StoredIo {
  stdout: Writable
  stdin: Readable & { isTTY?: boolean }
}

// Getters: process.stdin is opened only by the commands that may read it (create, update).
const processIo: StoredIo = {
  get stdout () { return process.stdout },
  get stdin () { return process.stdin }
}

interface ContentCommandFlags extends ClientFlags { file?: string }
interface InspectFlags extends ClientFlags { show?: boolean }

const GROUP = {
  secret: 'manage the secrets of services; their values are never shown (the cluster\'s join token: `meshd join-token`)',
  config: 'manage the configs of services'
} as const

/** Registers `meshd secret …` or `meshd config …`. */
export function registerStoredCommands (program: Command, kind: StoredKind, io: StoredIo = processIo): void {
  const group = program.command(kind).description(GROUP[kind])
  const path = (name?: string): string => name === undefined ? `/v1/${kind}s` : `/v1/${kind}s/${encodeURIComponent(name)}`
  const print = (flags: ClientFlags, json: unknown, text: string): void => {
    io.stdout.write(flags.json === true ? `${JSON.stringify(json, null, 2)}\n` : text)
  }
  const content = async (verb: string, dash: string | undefined, flags: ContentCommandFlags): Promise<string> => {
    const source = contentSource(kind, verb, { dash, file: flags.file }, io.stdin.isTTY === true)
    return (await readContent(kind, source, io.stdin)).toString('base64')
  }

  withClientOptions(contentOptions(kind, group.command('create')
    .description(`create a ${kind} from -f FILE or stdin (at most ${sizeText(MAX_STORED_BYTES)}, never from the command line)`)
    .argument('<name>', `${kind} name`)))
    .action(async (name: string, dash: string | undefined, flags: ContentCommandFlags) => {
      const data = await content(`create ${name}`, dash, flags)
      const view = await clientOf(flags).post<StoredView>(path(), { name, data })
      print(flags, view, `${view.name}: created, version ${view.version}\n`)
    })

  withClientOptions(contentOptions(kind, group.command('update')
    .description(`store a new version of a ${kind}; the services that refer to it without a version roll to it`)
    .argument('<name>', `${kind} name`)))
    .action(async (name: string, dash: string | undefined, flags: ContentCommandFlags) => {
      const data = await content(`update ${name}`, dash, flags)
      const view = await clientOf(flags).put<StoredView>(path(name), { data })
      print(flags, view, updateText(view))
    })

  withClientOptions(group.command('ls').description(`list ${kind}s${kind === 'secret' ? ' (never their values)' : ''}`))
    .action(async (flags: ClientFlags) => {
      const views = await clientOf(flags).get<StoredView[]>(path())
      print(flags, views, storedTable(views))
    })

  const inspect = group.command('inspect')
    .description(`show a ${kind}'s versions and the services that use it${kind === 'secret' ? ' (never its value)' : ''}`)
    .argument('<name>', `${kind} name`)
  if (kind === 'config') inspect.option('--show', 'print the content itself (with --json: the view, with the content in base64 as data)')
  withClientOptions(inspect)
    .action(async (name: string, flags: InspectFlags) => {
      if (flags.show !== true) {
        const view = await clientOf(flags).get<StoredView>(path(name))
        print(flags, view, describeStored(kind, view))
        return
      }
      const view = await clientOf(flags).get<ConfigContentView>(`${path(name)}?show=1`)
      // The bytes as stored: a binary config comes out as it went in.
      io.stdout.write(flags.json === true ? `${JSON.stringify(view, null, 2)}\n` : Buffer.from(view.data, 'base64'))
    })

  withClientOptions(group.command('rm')
    .description(`remove a ${kind} and all its versions (refused while a service uses it)`)
    .argument('<name>', `${kind} name`))
    .action(async (name: string, flags: ClientFlags) => {
      const result = await clientOf(flags).delete<{ removed: string }>(path(name))
      io.stdout.write(flags.json === true ? `${JSON.stringify(result)}\n` : `${result.removed}: removed\n`)
    })
}

/** `[-]` and `-f FILE` of create and update. */
function contentOptions (kind: StoredKind, command: Command): Command {
  return command
    .argument('[-]', 'read the content from stdin (also without "-" when stdin is not a terminal)')
    .option('-f, --file <file>', `read the ${kind}'s content from FILE ("-": stdin); bytes as they are, a final newline included`)
}
