// `meshd stack config` and `meshd stack deploy`: a Compose file as it is, turned into
// meshd specs by compose/ (every key honoured or noted, file:line:column), then sent
// whole in ONE `PUT /v1/stacks/NAME`, so a bad service changes nothing.

import { existsSync, readFileSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import type { Command } from 'commander'
import type { ComposeNote, ComposeStack } from '../compose/index.ts'
import { ApiError } from './client.ts'
import { clientOf, withClientOptions } from './connection.ts'
import type { ClientFlags } from './connection.ts'
import { waitForServices } from './progress.ts'
import { settle, withWaitOptions } from './service.ts'

/** The answer of `PUT /v1/stacks/NAME` (the stack API's contract). */
export interface StackDeployAnswer {
  stack: string
  services: Array<{ name: string, action: 'created' | 'updated' | 'unchanged', generation: number }>
  secrets: Array<{ name: string, action: string, version: number }>
  configs: Array<{ name: string, action: string, version: number }>
  removed: string[]
}

/** Reads a Compose file, the .env beside it and the files it names, and translates it; throws ComposeError. */
export async function loadComposeFile (file: string, opts: { name?: string | undefined, strict?: boolean | undefined } = {}): Promise<ComposeStack> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new Error(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  const dir = dirname(resolve(file))
  const dotEnvPath = resolve(dir, '.env')
  // compose/ (yaml, ajv and the schema) is loaded only by the commands that read a Compose file.
  const { composeStack } = await import('../compose/index.ts')
  return composeStack({
    file,
    text,
    ...(opts.name === undefined ? {} : { name: opts.name }),
    directoryName: basename(dir),
    env: process.env,
    ...(existsSync(dotEnvPath) ? { dotEnv: readFileSync(dotEnvPath, 'utf8') } : {}),
    readFile: (path) => readFileSync(resolve(dir, path)),
    strict: opts.strict === true
  })
}

/** The notes, one line each, as `file:line:column: path: why`. */
export function noteLines (notes: readonly ComposeNote[]): string {
  return notes.map((n) => `note: ${n.file}:${n.line}:${n.column}: ${n.path}: ${n.why}\n`).join('')
}

/** What `stack config` shows: the specs and notes, and of each file its name and size only (never a secret's bytes). */
export function configView (stack: ComposeStack): Record<string, unknown> {
  const sized = (files: ComposeStack['secrets']) => files.map((f) => ({ name: f.name, bytes: Buffer.from(f.data, 'base64').length }))
  return { stack: stack.name, services: stack.services, secrets: sized(stack.secrets), configs: sized(stack.configs), notes: stack.notes }
}

interface DeployOptions { prune?: boolean, dryRun?: boolean }

/** Where the commands print (the tests give streams of their own). */
export interface ComposeIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

const PROCESS_IO: ComposeIo = { stdout: process.stdout, stderr: process.stderr }

/** Sends the stack in one PUT, prints what changed, then waits for its services unless a dry run. */
export async function deployStack (flags: ClientFlags, stack: ComposeStack, opts: DeployOptions = {}, io: ComposeIo = PROCESS_IO): Promise<StackDeployAnswer> {
  const body = {
    services: stack.services,
    ...(stack.secrets.length > 0 ? { secrets: stack.secrets } : {}),
    ...(stack.configs.length > 0 ? { configs: stack.configs } : {}),
    ...(opts.prune === true ? { prune: true } : {}),
    ...(opts.dryRun === true ? { dryRun: true } : {})
  }
  const client = clientOf(flags)
  const answer = await client.put<StackDeployAnswer>(`/v1/stacks/${encodeURIComponent(stack.name)}`, body)
    .catch((err: unknown) => { throw withServiceName(err, stack) })
  const names = answer.services.map((s) => s.name)
  if (flags.json !== true) {
    io.stdout.write(answerText(answer, opts.dryRun === true))
    if (opts.dryRun !== true) await settle(flags, names)
    return answer
  }
  // One JSON document on stdout (the answer and the notes); the progress goes to stderr.
  if (opts.dryRun !== true && flags.detach !== true) {
    await waitForServices(client, names, { timeoutMs: Number(flags.timeout ?? 120) * 1000, out: io.stderr })
  }
  io.stdout.write(`${JSON.stringify({ ...answer, notes: stack.notes }, null, 2)}\n`)
  return answer
}

function answerText (answer: StackDeployAnswer, dryRun: boolean): string {
  const would = dryRun ? 'would be ' : ''
  const lines = [
    ...answer.secrets.map((s) => `secret ${s.name}: ${would}${s.action}${s.action === 'unchanged' ? '' : ` (version ${s.version})`}`),
    ...answer.configs.map((c) => `config ${c.name}: ${would}${c.action}${c.action === 'unchanged' ? '' : ` (version ${c.version})`}`),
    ...answer.services.map((s) => `${s.name}: ${would}${s.action}${s.action === 'unchanged' ? '' : `, generation ${s.generation}`}`),
    ...answer.removed.map((name) => `${name}: ${would}removed`)
  ]
  return lines.map((line) => `${line}\n`).join('')
}

// The API names a field as services[2].env.FOO: the error is placed at the Compose key
// that field came from, and names the service.
function withServiceName (err: unknown, stack: ComposeStack): unknown {
  if (!(err instanceof ApiError)) return err
  const match = /^services\[(\d+)\](?:\.([A-Za-z]+))?/.exec(err.path ?? '')
  const index = match === null ? undefined : Number(match[1])
  const name = index === undefined ? undefined : stack.services[index]?.name
  if (index === undefined || name === undefined) return err
  const origins = stack.origins[index] ?? {}
  const origin = origins[match?.[2] ?? 'name'] ?? origins.name
  const where = origin === undefined ? '' : `${stack.file}:${origin.line}:${origin.column}: ${origin.path}: `
  return new ApiError(err.status, err.code, `${where}service ${String(name)}: ${err.message}`, err.path)
}

interface ConfigFlags { composeFile: string, strict?: boolean, json?: boolean }
interface StackDeployFlags extends ClientFlags, ConfigFlags { prune?: boolean, dryRun?: boolean }

/** Adds `config` and `deploy` to the `stack` command. */
export function registerComposeCommands (stack: Command, io: ComposeIo = PROCESS_IO): void {
  stack.command('config')
    .description('show the meshd specs of a Compose file, and a note for every key meshd does not honour')
    .argument('[name]', 'stack name (default: the file\'s name:, else its directory\'s name)')
    .requiredOption('-c, --compose-file <path>', 'Compose file')
    .option('--strict', 'fail on any key meshd does not honour')
    .option('--json', 'print JSON for scripts')
    .action(async (name: string | undefined, flags: ConfigFlags) => {
      const composed = await loadComposeFile(flags.composeFile, { name, strict: flags.strict })
      if (flags.json === true) { io.stdout.write(`${JSON.stringify(configView(composed), null, 2)}\n`); return }
      const { stringify } = (await import('yaml')).default
      const { notes: _notes, ...view } = configView(composed)
      io.stdout.write(stringify(view))
      io.stderr.write(noteLines(composed.notes))
    })

  withWaitOptions(withClientOptions(stack.command('deploy')
    .description('create or update a stack from a Compose file, all services at once (nothing changes if one is invalid)')
    .argument('<name>', 'stack name: services are named NAME-SERVICE')
    .requiredOption('-c, --compose-file <path>', 'Compose file')
    .option('--prune', 'remove the stack\'s services that are no longer in the file')
    .option('--dry-run', 'validate and show what would change, changing nothing')
    .option('--strict', 'fail on any key meshd does not honour')))
    .action(async (name: string, flags: StackDeployFlags) => {
      const composed = await loadComposeFile(flags.composeFile, { name, strict: flags.strict })
      if (flags.json !== true) io.stderr.write(noteLines(composed.notes))
      await deployStack(flags, composed, { prune: flags.prune === true, dryRun: flags.dryRun === true }, io)
    })
}
