// `meshd stack ls|services|ps|rm`: the stacks deployed from Compose files (`stack deploy`
// and `stack config` are added by compose.ts), as tables like the service commands'.

import type { Command } from 'commander'
import type { Writable } from 'node:stream'
import type { StackRemovedView, StackSummary, StackView } from '../api/index.ts'
import { clientOf, withClientOptions } from './connection.ts'
import type { ClientFlags } from './connection.ts'
import { REPLICA_HEADERS, replicaNotes, replicaRows, serviceTable, settle, withWaitOptions } from './service.ts'
import { table } from './table.ts'

/** Where the commands print: the process's stdout, or a test's. */
export interface StackIo { stdout: Writable }

const processIo: StackIo = { get stdout () { return process.stdout } }

/** Registers `meshd stack` with ls, services, ps and rm; returns it for the Compose commands to join. */
export function registerStackCommands (program: Command, io: StackIo = processIo): Command {
  const stack = program.command('stack').description('manage stacks: the services of a Compose file, deployed together')
  const path = (name: string): string => `/v1/stacks/${encodeURIComponent(name)}`
  const print = (flags: ClientFlags, json: unknown, text: () => string): void => {
    io.stdout.write(flags.json === true ? `${JSON.stringify(json, null, 2)}\n` : text())
  }

  withClientOptions(stack.command('ls').description('list stacks: their services, and replicas running of those desired'))
    .action(async (flags: ClientFlags) => {
      const stacks = await clientOf(flags).get<StackSummary[]>('/v1/stacks')
      print(flags, stacks, () => table(['NAME', 'SERVICES', 'REPLICAS'], stacks.map((s) => [s.name, String(s.services), `${s.running}/${s.desired}`])))
    })

  withClientOptions(stack.command('services').description('list the services of a stack').argument('<name>'))
    .action(async (name: string, flags: ClientFlags) => {
      const view = await clientOf(flags).get<StackView>(path(name))
      print(flags, view.services, () => serviceTable(view.services) + filesLine(view))
    })

  withClientOptions(stack.command('ps').description('list the replicas of every service of a stack').argument('<name>'))
    .action(async (name: string, flags: ClientFlags) => {
      const view = await clientOf(flags).get<StackView>(path(name))
      const replicas = view.services.flatMap((s) => s.replicas.map((r) => ({ service: s.spec.name, ...r })))
      print(flags, replicas, () => {
        const notes = view.services.flatMap(replicaNotes).map((note) => `${note}\n`).join('')
        return table(REPLICA_HEADERS, view.services.flatMap(replicaRows)) + notes
      })
    })

  withWaitOptions(withClientOptions(stack.command('rm')
    .description('remove a stack: its services, and the secrets and configs it created (not those made by hand, nor those another service uses)')
    .argument('<name>')))
    .action(async (name: string, flags: ClientFlags) => {
      const answer = await clientOf(flags).delete<StackRemovedView>(path(name))
      print(flags, answer, () => removedText(answer))
      await settle(flags, answer.removed.services, { gone: true })
    })

  return stack
}

/** "created by the stack: secrets a, b; configs c" under a stack's services, when it created any. */
function filesLine (view: StackView): string {
  const parts = [['secrets', view.secrets], ['configs', view.configs]] as const
  const named = parts.filter(([, names]) => names.length > 0).map(([kind, names]) => `${kind} ${names.join(', ')}`)
  return named.length === 0 ? '' : `created by the stack: ${named.join('; ')}\n`
}

function removedText (answer: StackRemovedView): string {
  const { services, secrets, configs } = answer.removed
  return [
    ...services.map((name) => `${name}: removed`),
    ...secrets.map((name) => `secret ${name}: removed`),
    ...configs.map((name) => `config ${name}: removed`),
    ...answer.kept.map((k) => `${k.kind} ${k.name}: kept, used by ${k.usedBy.join(', ')}`)
  ].map((line) => `${line}\n`).join('')
}
