// The snapshot file: the whole document as one framed record, replaced atomically
// (temp file, fsync, rename, fsync the directory) so a crash leaves either the old
// snapshot or the new one, never a mix.

import { closeSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { DATA_FILE_MODE } from './constants.ts'
import { decodeRecords, encodeRecord } from './record.ts'

/** Writes `state` to `file` atomically and durably. */
export function writeSnapshot (file: string, state: Uint8Array): void {
  const temp = `${file}.tmp`
  const fd = openSync(temp, 'w', DATA_FILE_MODE)
  try {
    // The mode given to open() only applies to a new file; a temp file left by a crash
    // keeps its own, and the rename would pass it on to the snapshot.
    fchmodSync(fd, DATA_FILE_MODE)
    writeAll(fd, encodeRecord(state))
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(temp, file)
  fsyncDirectoryOf(file)
}

/**
 * Reads the state saved in `file`: undefined when there is no snapshot, an error naming
 * the file when it is damaged. A damaged snapshot is never treated as empty: starting
 * empty would silently forget the cluster.
 */
export function readSnapshot (file: string): Uint8Array | undefined {
  let buf: Buffer
  try {
    buf = readFileSync(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  const { bodies, validBytes, defect } = decodeRecords(buf)
  const body = bodies[0]
  if (body === undefined || bodies.length !== 1 || validBytes !== buf.byteLength) {
    throw new Error(`cluster document snapshot ${file} is damaged (${defect ?? 'trailing bytes'}, ` +
      `${buf.byteLength} bytes); restore it from a backup, or remove it and its log to rejoin empty`)
  }
  return body
}

/** Writes the whole buffer: writeSync may write less than asked. */
export function writeAll (fd: number, buf: Uint8Array): void {
  let written = 0
  while (written < buf.byteLength) {
    written += writeSync(fd, buf, written, buf.byteLength - written)
  }
}

// The rename is only durable once the directory entry is; some platforms cannot
// open a directory for fsync, and there the rename is as durable as it gets.
function fsyncDirectoryOf (file: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dirname(file), 'r')
    fsyncSync(fd)
  } catch {
    // best effort, see above
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
