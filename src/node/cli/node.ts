// `meshd node ls|drain|undrain`: the members of the cluster, and moving replicas off one.

import type { Command } from 'commander'
import type { MemberView } from '../cluster/index.ts'
import { clientOf, withClientOptions } from './connection.ts'
import type { ClientFlags } from './connection.ts'
import { table } from './table.ts'

export function registerNodeCommands (program: Command): void {
  const node = program.command('node').description('manage the nodes of the cluster')

  withClientOptions(node.command('ls').description('list the members and their state'))
    .action(async (flags: ClientFlags) => {
      const members = await clientOf(flags).get<MemberView[]>('/v1/nodes')
      if (flags.json === true) { process.stdout.write(`${JSON.stringify(members, null, 2)}\n`); return }
      process.stdout.write(table(['NAME', 'HOST', 'STATE', 'AVAILABILITY', 'LABELS', 'ID'], members.map((m) => [
        m.name, m.host, m.state, m.draining ? 'drain' : 'active',
        Object.entries(m.labels).map(([k, v]) => `${k}=${v}`).join(','), m.id
      ])))
    })

  for (const [action, what] of [['drain', 'move every replica off a node (make-before-break)'], ['undrain', 'let a node take replicas again']] as const) {
    withClientOptions(node.command(action).description(what).argument('<name>', 'node name or id'))
      .action(async (name: string, flags: ClientFlags) => {
        const member = await clientOf(flags).post<MemberView>(`/v1/nodes/${encodeURIComponent(name)}/${action}`, {})
        if (flags.json === true) process.stdout.write(`${JSON.stringify(member, null, 2)}\n`)
        else process.stdout.write(`${member.name}: ${member.draining ? 'draining' : 'active'}\n`)
      })
  }

  withClientOptions(node.command('rm').description('remove a member for good: its records go and its id is refused (refused while it is alive unless --force)')
    .argument('<name>', 'node name or id').option('--force', 'remove it even though it is alive'))
    .action(async (name: string, flags: ClientFlags & { force?: boolean }) => {
      const result = await clientOf(flags).delete<{ removed: string, id: string }>(`/v1/nodes/${encodeURIComponent(name)}${flags.force === true ? '?force=1' : ''}`)
      process.stdout.write(flags.json === true ? `${JSON.stringify(result)}\n` : `removed ${result.removed} (${result.id}); its id is refused from now on\n`)
    })
}
