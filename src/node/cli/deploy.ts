// `meshd deploy -f FILE`: a Compose file (a top-level `services:` map) is a stack, sent
// whole to the stack API (compose.ts); a file of meshd specs (one spec, or a list) is
// PUT spec by spec as before, then live progress.

import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import type { ServiceView } from '../api/index.ts'
import { deployStack, loadComposeFile, noteLines } from './compose.ts'
import { clientOf, withClientOptions } from './connection.ts'
import { settle, withWaitOptions } from './service.ts'
import type { ClientFlags } from './connection.ts'

/** Whether a parsed deploy file is a Compose file: a map whose `services:` is a map. */
export function isComposeFile (document: unknown): boolean {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return false
  const services = (document as Record<string, unknown>).services
  return typeof services === 'object' && services !== null && !Array.isArray(services)
}

/** The service specs of a meshd spec file, in file order: one spec, a list, or `services:` as a list. */
export function specsOf (document: unknown, file: string): Array<Record<string, unknown>> {
  if (Array.isArray(document)) return document.map((spec, i) => asSpec(spec, `${file}[${i}]`))
  const root = asSpec(document, file)
  if (!('services' in root)) return [root]
  const services = root.services
  if (Array.isArray(services)) return services.map((spec, i) => asSpec(spec, `${file}: services[${i}]`))
  throw new Error(`${file}: services: expected a list of specs, or a Compose file's map of services`)
}

function asSpec (value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: expected an object`)
  return value as Record<string, unknown>
}

interface DeployFlags extends ClientFlags { file: string, strict?: boolean }

export function registerDeployCommand (program: Command): void {
  withWaitOptions(withClientOptions(program.command('deploy')
    .description('create or update the services of a spec file (JSON or YAML), or the stack of a Compose file')
    .requiredOption('-f, --file <path>', 'spec file or Compose file')
    .option('--strict', 'a Compose file: fail on any key meshd does not honour')))
    .action(async (flags: DeployFlags) => {
      const text = await readFile(flags.file, 'utf8')
      let parsed: unknown
      try {
        // yaml is imported here, not at the top: the daemon shares this bundle and never needs it.
        parsed = /\.ya?ml$/i.test(flags.file) ? (await import('yaml')).default.parse(text) : JSON.parse(text)
      } catch (err) {
        // A Compose file's own reader places YAML errors at file:line:column.
        if (/\.ya?ml$/i.test(flags.file) && /^\s*services\s*:/m.test(text)) parsed = { services: {} }
        else throw new Error(`${flags.file}: cannot parse: ${(err as Error).message}`)
      }
      if (isComposeFile(parsed)) {
        // The stack's name: the file's name:, else its directory's (compose/ cleans it like docker compose -p).
        const composed = await loadComposeFile(flags.file, { strict: flags.strict })
        if (flags.json !== true) {
          process.stderr.write(noteLines(composed.notes))
          process.stdout.write(`stack ${composed.name}: ${composed.services.length} services\n`)
        }
        await deployStack(flags, composed)
        return
      }
      const client = clientOf(flags)
      const names: string[] = []
      for (const spec of specsOf(parsed, flags.file)) {
        const name = String(spec.name ?? '')
        const view = await client.put<ServiceView>(`/v1/services/${encodeURIComponent(name)}`, spec)
          .catch((err: Error) => { throw new Error(`service "${name}": ${err.message}`) })
        names.push(view.spec.name)
        if (flags.json !== true) process.stdout.write(`${view.spec.name}: generation ${view.generation}\n`)
      }
      await settle(flags, names)
    })
}
