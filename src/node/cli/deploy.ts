// `meshd deploy -f spec.(json|yaml)`: one spec, a list, or a compose-like
// `services:` map (the key is the name), each PUT to the API, then live progress.

import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import type { ServiceView } from '../api/index.ts'
import { clientOf, withClientOptions } from './connection.ts'
import { settle, withWaitOptions } from './service.ts'
import type { ClientFlags } from './connection.ts'

/** The service specs a deploy file holds, in file order. */
export function specsOf (document: unknown, file: string): Array<Record<string, unknown>> {
  if (Array.isArray(document)) return document.map((spec, i) => asSpec(spec, `${file}[${i}]`))
  const root = asSpec(document, file)
  if (!('services' in root)) return [root]
  const services = root.services
  if (Array.isArray(services)) return services.map((spec, i) => asSpec(spec, `${file}: services[${i}]`))
  if (typeof services !== 'object' || services === null) throw new Error(`${file}: services: expected a map of name → spec or a list of specs`)
  return Object.entries(services).map(([name, spec]) => ({ name, ...asSpec(spec, `${file}: services.${name}`) }))
}

function asSpec (value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: expected an object`)
  return value as Record<string, unknown>
}

export function registerDeployCommand (program: Command): void {
  withWaitOptions(withClientOptions(program.command('deploy')
    .description('create or update the services of a spec file (JSON or YAML)')
    .requiredOption('-f, --file <path>', 'spec file')))
    .action(async (flags: ClientFlags & { file: string }) => {
      const text = await readFile(flags.file, 'utf8')
      let parsed: unknown
      try {
        // yaml is imported here, not at the top: the daemon shares this bundle and never needs it.
        parsed = /\.ya?ml$/i.test(flags.file) ? (await import('yaml')).parse(text) : JSON.parse(text)
      } catch (err) {
        throw new Error(`${flags.file}: cannot parse: ${(err as Error).message}`)
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
