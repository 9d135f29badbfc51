// `meshd backup ls [SERVICE]`: the volume backups the members store.

import type { Command } from 'commander'
import type { BackupView } from '../api/index.ts'
import { clientOf, withClientOptions } from './connection.ts'
import type { ClientFlags } from './connection.ts'
import { ago, table } from './table.ts'

export function registerBackupCommands (program: Command): void {
  const backup = program.command('backup').description('volume backups of stateful services')

  withClientOptions(backup.command('ls').description('list the stored volume backups, newest first').argument('[service]'))
    .action(async (service: string | undefined, flags: ClientFlags) => {
      const query = service === undefined ? '' : `?service=${encodeURIComponent(service)}`
      const backups = await clientOf(flags).get<BackupView[]>(`/v1/backups${query}`)
      if (flags.json === true) { process.stdout.write(`${JSON.stringify(backups, null, 2)}\n`); return }
      process.stdout.write(table(['SLOT', 'VOLUME', 'TAKEN', 'SIZE', 'STORED ON', 'SHA256'], backups.map((b) => [
        `${b.service}.${b.slot}`, b.source, `${ago(b.at)} ago`, bytes(b.bytes), b.node, b.sha256.slice(0, 12)
      ])))
    })
}

function bytes (n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`
  return `${(n / 1024 ** 3).toFixed(2)} GiB`
}
