// The volume backups this node stores for others, on disk under DATA_DIR/backups: one
// file per backup of one volume, never in plaintext. A file is a random salt and the
// archive sealed in frames (transfer/'s FrameSealer) under a key derived from the
// store key and that salt, so each file has its own key; reading it back checks every
// frame, the byte count and the SHA-256 (a changed, cut or swapped file is an error).

import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises'
import { hkdfSync, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { FrameOpener, FrameSealer } from '../transfer/index.ts'

const SALT_BYTES = 16

/** What names one stored backup: one volume of one slot, at one time. */
export interface BackupName {
  service: string
  slot: number
  source: string
  at: number
}

/** The key the store seals its files under: derived from the cluster secret, distinct from every other key. */
export function storeKeyOf (secret: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'meshd', 'backup-store/1', 32))
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
    const salt = randomBytes(SALT_BYTES)
    const sealer = new FrameSealer(this.fileKey(salt))
    const file = await open(partial, 'w', 0o600)
    try {
      await file.write(salt)
      await pipeline(body, sealer, createWriteStream('', { fd: file.fd, autoClose: false }))
      await file.sync()
    } catch (err) {
      await file.close()
      await rm(partial, { force: true })
      throw err
    }
    await file.close()
    await rename(partial, path)
    const summary = sealer.summary
    if (summary === undefined) throw new Error('the backup archive ended without a summary')
    return summary
  }

  /** The plaintext archive of a stored backup, checked as it is read; undefined when there is no such file. */
  async open (name: BackupName): Promise<Readable | undefined> {
    const path = this.pathOf(name)
    let salt: Buffer
    try {
      const file = await open(path, 'r')
      try {
        salt = Buffer.alloc(SALT_BYTES)
        const { bytesRead } = await file.read(salt, 0, SALT_BYTES, 0)
        if (bytesRead !== SALT_BYTES) throw new Error(`backup file ${path} is cut short`)
      } finally {
        await file.close()
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    const out = new PassThrough()
    pipeline(createReadStream(path, { start: SALT_BYTES }), new FrameOpener(this.fileKey(salt), `backup ${label(name)}`), out).catch((err: Error) => { out.destroy(err) })
    return out
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

  private fileKey (salt: Buffer): Buffer {
    return Buffer.from(hkdfSync('sha256', this.key, salt, 'backup-file/1', 32))
  }

  private dirOf (name: BackupName): string {
    return join(this.dir, name.service, String(name.slot), name.source)
  }

  private pathOf (name: BackupName): string {
    return join(this.dirOf(name), `${name.at}.bak`)
  }
}

function label (name: BackupName): string {
  return `${name.service}#${name.slot}/${name.source}@${name.at}`
}
