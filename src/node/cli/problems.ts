// `meshd problems`: records of the cluster document this node ignores, and why.

import type { Command } from 'commander'
import type { ListedProblem } from '../trust/index.ts'
import { clientOf, withClientOptions } from './connection.ts'
import type { ClientFlags } from './connection.ts'
import { ago, table } from './table.ts'

export function registerProblemsCommand (program: Command): void {
  withClientOptions(program.command('problems').description('records of the cluster document a node ignores (invalid, unsealed, or from a removed member), and why'))
    .action(async (flags: ClientFlags) => {
      const { total, problems } = await clientOf(flags).get<{ total: number, problems: ListedProblem[] }>('/v1/problems')
      if (flags.json === true) { process.stdout.write(`${JSON.stringify({ total, problems }, null, 2)}\n`); return }
      if (total === 0) { process.stdout.write('no problems: every record of the cluster document is believed\n'); return }
      process.stdout.write(table(['KIND', 'KEY', 'NODE', 'SINCE', 'WHY'], problems.map((p) => [p.kind, p.key, p.node ?? '', ago(p.since), p.reason])))
      if (total > problems.length) process.stdout.write(`… and ${total - problems.length} more\n`)
    })
}
