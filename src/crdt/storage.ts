// The data dir's filesystem as the document sees it: how much room is left, and which
// failures mean there is none. Both feed StorageFullError, which the API turns into a 507.

import { statfsSync } from 'node:fs'
import { StorageFullError, sizeText } from './errors.ts'

/** Bytes of `dir`'s filesystem an unprivileged writer may still use (statfs f_bavail). */
export function freeBytes (dir: string): number {
  const stats = statfsSync(dir)
  return stats.bavail * stats.bsize
}

/** `err` as a StorageFullError when it says the filesystem (or the user's disk quota) is full, else `err`. */
export function storageError (err: unknown, dataDir: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return err
  return new StorageFullError(dataDir, `cannot persist a write to the cluster document in ${dataDir}: ${code}, the filesystem is full; ` +
    'the write stays in memory only until a later snapshot succeeds: free space there', { cause: err })
}

/** The StorageFullError of a write refused because `free` bytes are fewer than `needed`. */
export function tooLittleRoom (dataDir: string, free: number, needed: number): StorageFullError {
  return new StorageFullError(dataDir, `refused a write to the cluster document: ${sizeText(free)} free on the filesystem of ${dataDir}, ` +
    `it needs ${sizeText(needed)} (the document, this write, and a margin); free space there`)
}
