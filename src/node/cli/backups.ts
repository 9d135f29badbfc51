// `meshd backup ls [SERVICE]`: the volume backups the members store. `meshd volume
// backup|restore`: one slot's volume to a sealed file and back, through any node.

import { createReadStream, createWriteStream, existsSync } from 'node:fs'
import { rename, rm, stat } from 'node:fs/promises'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Command } from 'commander'
import type { BackupView, ServiceView } from '../api/index.ts'
import type { ApiClient } from './client.ts'
import { clientOf, withClientOptions } from './connection.ts'
import type { ClientFlags } from './connection.ts'
import { formatBytes } from '../../placement/index.ts'
import { ago, table } from './table.ts'

interface VolumeFlags extends ClientFlags { slot: string, volume?: string, output?: string, file?: string, force?: boolean }

export function registerBackupCommands (program: Command): void {
  const backup = program.command('backup').description('volume backups of stateful services')

  withClientOptions(backup.command('ls').description('list the stored volume backups, newest first').argument('[service]'))
    .action(async (service: string | undefined, flags: ClientFlags) => {
      const query = service === undefined ? '' : `?service=${encodeURIComponent(service)}`
      const backups = await clientOf(flags).get<BackupView[]>(`/v1/backups${query}`)
      if (flags.json === true) { process.stdout.write(`${JSON.stringify(backups, null, 2)}\n`); return }
      process.stdout.write(table(['SLOT', 'VOLUME', 'TAKEN', 'SIZE', 'STORED ON', 'SHA256'], backups.map((b) => [
        `${b.service}.${b.slot}`, b.source, `${ago(b.at)} ago`, formatBytes(b.bytes), b.node, b.sha256.slice(0, 12)
      ])))
    })

  const volume = program.command('volume').description('the volumes of stateful services')
  withVolumeOptions(volume.command('backup')
    .description('write one slot\'s volume to a sealed file (the service\'s backup.command runs first)')
    .requiredOption('-o, --output <file>', 'the archive file (written 0600; sealed: it opens only in this cluster)')
    .option('--force', 'overwrite an existing file'))
    .action(async (service: string, flags: VolumeFlags) => {
      const output = flags.output ?? ''
      if (existsSync(output) && flags.force !== true) throw new Error(`${output} exists: pass --force to overwrite it`)
      const client = clientOf(flags)
      const source = await sourceOf(client, service, flags.volume)
      const archive = await client.download(archivePath(service, flags.slot, source))
      const partial = `${output}.partial`
      try {
        await pipeline(archive, progress('written'), createWriteStream(partial, { mode: 0o600 }))
      } catch (err) {
        await rm(partial, { force: true })
        throw err
      }
      await rename(partial, output)
      const size = (await stat(output)).size
      done(flags, { service, slot: Number(flags.slot), volume: source, file: output, bytes: size }, `${service}.${flags.slot}/${source}: ${formatBytes(size)} written to ${output}`)
    })

  withVolumeOptions(volume.command('restore')
    .description('replace one slot\'s volume with a file from `meshd volume backup` (its replica stops meanwhile)')
    .requiredOption('-f, --file <file>', 'the archive file'))
    .action(async (service: string, flags: VolumeFlags) => {
      const file = flags.file ?? ''
      const size = (await stat(file)).size
      const client = clientOf(flags)
      const source = await sourceOf(client, service, flags.volume)
      const body = createReadStream(file).pipe(progress('sent'))
      await client.upload(archivePath(service, flags.slot, source), body)
      done(flags, { service, slot: Number(flags.slot), volume: source, file, bytes: size, restored: true }, `${service}.${flags.slot}/${source}: restored from ${file} (${formatBytes(size)}); its replica starts again`)
    })
}

function withVolumeOptions (command: Command): Command {
  return withClientOptions(command.argument('<service>')
    .option('--slot <n>', 'the slot', '0')
    .option('--volume <source>', 'the volume (volumes[].source); needed when the service has several'))
}

function archivePath (service: string, slot: string, source: string): string {
  return `/v1/services/${encodeURIComponent(service)}/volumes/${encodeURIComponent(source)}/archive?slot=${encodeURIComponent(slot)}`
}

/** The volume named, or the service's only one. */
async function sourceOf (client: ApiClient, service: string, named: string | undefined): Promise<string> {
  if (named !== undefined) return named
  const view = await client.get<ServiceView>(`/v1/services/${encodeURIComponent(service)}`)
  const sources = (view.spec.volumes ?? []).map((v) => v.source)
  if (sources.length === 1) return sources[0]!
  throw new Error(sources.length === 0 ? `service "${service}" has no volumes` : `service "${service}" has volumes ${sources.join(', ')}: name one with --volume`)
}

/** Counts bytes on their way, and says so on a terminal every second. */
function progress (verb: string): Transform {
  let total = 0
  let shown = Date.now()
  return new Transform({
    transform (chunk: Buffer, _encoding, callback) {
      total += chunk.byteLength
      if (process.stderr.isTTY && Date.now() - shown >= 1000) {
        shown = Date.now()
        process.stderr.write(`\r${formatBytes(total)} ${verb}…`)
      }
      callback(null, chunk)
    },
    flush (callback) {
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K')
      callback()
    }
  })
}

function done (flags: ClientFlags, result: Record<string, unknown>, line: string): void {
  process.stdout.write(flags.json === true ? `${JSON.stringify(result, null, 2)}\n` : `${line}\n`)
}
