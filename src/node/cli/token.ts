// `meshd token create|ls|rm`: API tokens of the cluster (admin).

import type { Command } from 'commander'
import type { TokenView } from '../api/index.ts'
import { collect } from './flags.ts'
import { clientOf, withClientOptions } from './connection.ts'
import type { ClientFlags } from './connection.ts'
import { ago, table } from './table.ts'

interface CreateFlags extends ClientFlags { role: string, service?: string[], expires?: string }

export function registerTokenCommands (program: Command): void {
  const token = program.command('token').description('manage API tokens (admin)')

  withClientOptions(token.command('create').description('create a token; it is printed once')
    .argument('<name>', 'token name (a DNS label)')
    .requiredOption('--role <role>', 'viewer, deployer, operator or admin')
    .option('--service <name>', 'a deployer may change only these services (repeatable; "shop-*" works)', collect)
    .option('--expires <duration>', 'the token stops working after this long ("24h", "30m")'))
    .action(async (name: string, flags: CreateFlags) => {
      const body = { name, role: flags.role, ...(flags.service === undefined ? {} : { services: flags.service }), ...(flags.expires === undefined ? {} : { expiresIn: flags.expires }) }
      const created = await clientOf(flags).post<TokenView & { token: string }>('/v1/tokens', body)
      if (flags.json === true) { process.stdout.write(`${JSON.stringify(created, null, 2)}\n`); return }
      if (process.stdout.isTTY) process.stdout.write(`Token "${created.name}" (${created.role}) — shown only now; give it as MESHD_TOKEN:\n`)
      process.stdout.write(`${created.token}\n`)
    })

  withClientOptions(token.command('ls').description('list tokens (never their values)'))
    .action(async (flags: ClientFlags) => {
      const tokens = await clientOf(flags).get<TokenView[]>('/v1/tokens')
      if (flags.json === true) { process.stdout.write(`${JSON.stringify(tokens, null, 2)}\n`); return }
      process.stdout.write(table(['NAME', 'ROLE', 'SERVICES', 'EXPIRES', 'CREATED', 'BY'], tokens.map((t) => [
        t.name, t.role, t.services?.join(',') ?? '*',
        t.expiresAt === undefined ? 'never' : t.expired ? 'expired' : new Date(t.expiresAt).toISOString(),
        ago(t.createdAt), t.createdBy
      ])))
    })

  withClientOptions(token.command('rm').description('revoke a token on every node').argument('<name>'))
    .action(async (name: string, flags: ClientFlags) => {
      const result = await clientOf(flags).delete<{ deleted: string }>(`/v1/tokens/${encodeURIComponent(name)}`)
      process.stdout.write(flags.json === true ? `${JSON.stringify(result)}\n` : `revoked ${result.deleted}\n`)
    })
}
