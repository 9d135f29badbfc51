// The volume backups this node stores for others, on disk under DATA_DIR/backups: one
// file per backup of one volume, never in plaintext — a sealed archive (archive-file.ts),
// each file under a key of its own; reading it back checks every frame, the byte count
// and the SHA-256 (a changed, cut or swapped file is an error).

import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { openArchive, sealArchive } from './archive-file.ts'

/** What names one stored backup: one volume of one slot, at one time. */
export interface BackupName {
  service: string
  slot: number
  source: string
  at: number
}

export class BackupStore {
  private readonly dir: string
  private readonly key: Buffer

  constructor (init: { dir: string, key: Buffer }) {
    this.dir = init.dir
    this.key = init.key
  }

  /** Writes a backup from its plaintext archive: whole or not at all (a temporary file renamed), 0600 in 0700 dirs. */
  async write (name: BackupName, body: Readable): Promise<{ bytes: number, sha256: string }> {
    const dir = this.dirOf(name)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const path = this.pathOf(name)
    const partial = `${path}.partial`
    const { sealed, sealer } = sealArchive(this.key, body)
    try {
      await pipeline(sealed, createWriteStream(partial, { mode: 0o600 }))
      const file = await open(partial, 'r+')
      try { await file.sync() } finally { await file.close() }
    } catch (err) {
      await rm(partial, { force: true })
      throw err
    }
    await rename(partial, path)
    const summary = sealer.summary
    if (summary === undefined) throw new Error('the backup archive ended without a summary')
    return summary
  }

  /** The plaintext archive of a stored backup, checked as it is read; undefined when there is no such file. */
  async open (name: BackupName): Promise<Readable | undefined> {
    const path = this.pathOf(name)
    try {
      await (await open(path, 'r')).close()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    return await openArchive(this.key, createReadStream(path), `backup ${name.service}#${name.slot}/${name.source}@${name.at}`)
  }

  /** Deletes a stored backup (nothing when it is gone already). */
  async remove (name: BackupName): Promise<void> {
    await rm(this.pathOf(name), { force: true })
  }

  /** Every stored backup of one volume of one slot, by time. */
  async list (service: string, slot: number, source: string): Promise<number[]> {
    try {
      const files = await readdir(this.dirOf({ service, slot, source, at: 0 }))
      return files.flatMap((f) => /^\d+\.bak$/.test(f) ? [Number(f.slice(0, -4))] : []).sort((a, b) => a - b)
    } catch {
      return []
    }
  }

  private dirOf (name: BackupName): string {
    return join(this.dir, name.service, String(name.slot), name.source)
  }

  private pathOf (name: BackupName): string {
    return join(this.dirOf(name), `${name.at}.bak`)
  }
}
