// `meshd top` and `meshd service stats NAME`: CPU and memory of every replica across the
// cluster (GET /v1/stats), members that did not answer named at the end.

import type { Command } from 'commander'
import type { ClusterStats } from '../metrics/index.ts'
import { clientOf, withClientOptions } from './connection.ts'
import type { ClientFlags } from './connection.ts'
import { table } from './table.ts'

export function registerTopCommands (program: Command): void {
  withClientOptions(program.command('top').description('CPU and memory of every replica on every node')
    .option('--service <name>', 'only this service\'s replicas'))
    .action(async (flags: ClientFlags & { service?: string }) => { await showStats(flags, flags.service) })

  const service = program.commands.find((command) => command.name() === 'service')
  if (service === undefined) throw new Error('register the service commands before `meshd service stats`')
  withClientOptions(service.command('stats').description('CPU and memory of a service\'s replicas on every node').argument('<name>'))
    .action(async (name: string, flags: ClientFlags) => { await showStats(flags, name) })
}

async function showStats (flags: ClientFlags, service: string | undefined): Promise<void> {
  const query = service === undefined ? '' : `?service=${encodeURIComponent(service)}`
  const stats = await clientOf(flags).get<ClusterStats>(`/v1/stats${query}`)
  if (flags.json === true) { process.stdout.write(`${JSON.stringify(stats, null, 2)}\n`); return }
  process.stdout.write(formatStats(stats))
}

/** The stats as a table, then one line per member that did not answer. */
export function formatStats (stats: ClusterStats): string {
  const rows = stats.replicas.map((r) => [`${r.service}.${r.slot}`, r.node, r.container, `${r.cpuPercent.toFixed(1)}%`, cpuTime(r.cpuSeconds), memory(r.memoryBytes)])
  const unreachable = stats.unreachable.map((name) => `${name}: unreachable\n`).join('')
  return table(['REPLICA', 'NODE', 'CONTAINER', 'CPU', 'CPU TIME', 'MEMORY'], rows) + unreachable
}

function cpuTime (seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`
  const minutes = Math.floor(seconds / 60)
  return minutes < 60 ? `${minutes}m${Math.floor(seconds % 60)}s` : `${Math.floor(minutes / 60)}h${minutes % 60}m`
}

function memory (bytes: number): string {
  const mib = bytes / 1024 / 1024
  return mib >= 1024 ? `${(mib / 1024).toFixed(2)} GiB` : `${mib.toFixed(1)} MiB`
}
