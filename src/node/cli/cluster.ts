// `meshd cluster backup -o FILE` and `meshd cluster restore FILE`: the cluster's durable
// state (services, secrets still encrypted, configs, token hashes) to a file and back into
// a fresh cluster started with the same cluster secret. The file is written 0600 and
// whole (a temporary file renamed), never over an existing one without --force.

import { randomBytes } from 'node:crypto'
import { open, readFile, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { Command } from 'commander'
import type { RestoreResult } from '../api/index.ts'
import { backupText, backupTextProblem, BACKUP_KINDS } from '../backup/index.ts'
import type { BackupFile, BackupKind } from '../backup/index.ts'
import { clientOf, withClientOptions } from './connection.ts'
import type { ClientFlags } from './connection.ts'
import { waitForServices } from './progress.ts'
import { withWaitOptions } from './service.ts'

/** The largest file `restore` reads: the API's limit for a restore (the document's quota). */
const MAX_BACKUP_BYTES = 64 * 1024 * 1024

interface BackupFlags extends ClientFlags { output: string, force?: boolean }

export function registerClusterCommands (program: Command): void {
  const cluster = program.command('cluster').description('back up the cluster\'s state, and restore it into a fresh cluster (admin)')

  withClientOptions(cluster.command('backup')
    .description('write the services, secrets (encrypted), configs and token hashes to a file, signed with the cluster secret')
    .requiredOption('-o, --output <file>', 'the backup file (written 0600)')
    .option('--force', 'replace the file if it exists'))
    .action(async (flags: BackupFlags) => {
      if (flags.force !== true && await exists(flags.output)) throw new Error(`${flags.output} exists: choose another file, or pass --force to replace it`)
      const file = await clientOf(flags).get<BackupFile>('/v1/cluster/backup')
      const text = backupText(file)
      // The client cannot check the signature (it has no cluster secret), but it can tell a transfer gone wrong.
      const problem = backupTextProblem(text)
      if (problem !== undefined) throw new Error(`the API answered something that is not a backup: ${problem}`)
      await writePrivate(flags.output, text)
      const summary = { file: flags.output, bytes: Buffer.byteLength(text), format: file.format, createdAt: file.createdAt, cluster: file.cluster, node: file.node, sha256: file.sha256, ...counts(file) }
      if (flags.json === true) { process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`); return }
      process.stdout.write(`wrote ${flags.output} (${summary.bytes} bytes, sha256 ${file.sha256.slice(0, 16)}…): ${countText(summary)}\n` +
        'secrets stay encrypted: restoring them needs the cluster secret (`meshd join-token`); keep both, apart.\n')
    })

  withWaitOptions(withClientOptions(cluster.command('restore')
    .description('restore a backup into this cluster (one with no services, secrets or configs), then wait for its services')
    .argument('<file>', 'a file written by `meshd cluster backup`')))
    .action(async (path: string, flags: ClientFlags) => {
      const text = await readBackupFile(path)
      const client = clientOf(flags)
      const result = await client.post<RestoreResult>('/v1/cluster/restore', JSON.parse(text))
      const restored = Object.fromEntries(BACKUP_KINDS.map((kind) => [kind, result[kind].length])) as Record<BackupKind, number>
      const out = flags.json === true ? process.stderr : process.stdout
      out.write(`restored from ${result.from.cluster === undefined ? 'a cluster' : `cluster ${result.from.cluster}`} (backup of ${result.from.createdAt} by ${result.from.node}): ${countText(restored)}\n` +
        (result.tokens.length > 0 ? `the backup's tokens work again: ${result.tokens.join(', ')}\n` : ''))
      if (flags.json === true) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
      if (flags.detach !== true && result.services.length > 0) {
        await waitForServices(client, result.services, { timeoutMs: Number(flags.timeout ?? 120) * 1000, out })
      }
    })
}

async function readBackupFile (path: string): Promise<string> {
  const size = (await stat(path).catch((err: Error) => { throw new Error(`${path}: ${err.message}`) })).size
  if (size > MAX_BACKUP_BYTES) throw new Error(`${path}: ${size} bytes is larger than any backup (${MAX_BACKUP_BYTES})`)
  const text = await readFile(path, 'utf8')
  const problem = backupTextProblem(text)
  if (problem !== undefined) throw new Error(`${path}: ${problem}; nothing was restored`)
  return text
}

/** Writes `text` to `path` 0600 under a temporary name in the same directory, fsynced, then renamed over it. */
async function writePrivate (path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(tmp, 'wx', 0o600)
  try {
    await handle.writeFile(text)
    await handle.sync()
  } catch (err) {
    await handle.close()
    await rm(tmp, { force: true })
    throw err
  }
  await handle.close()
  await rename(tmp, path).catch(async (err: Error) => { await rm(tmp, { force: true }); throw err })
}

async function exists (path: string): Promise<boolean> {
  return await stat(path).then(() => true, (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return false
    throw new Error(`${path}: ${err.message}`)
  })
}

function counts (file: BackupFile): Record<BackupKind, number> {
  return Object.fromEntries(BACKUP_KINDS.map((kind) => [kind, Object.keys(file.records[kind]).length])) as Record<BackupKind, number>
}

function countText (counts: Record<BackupKind, number>): string {
  return BACKUP_KINDS.map((kind) => `${counts[kind]} ${counts[kind] === 1 ? kind.slice(0, -1) : kind}`).join(', ')
}
