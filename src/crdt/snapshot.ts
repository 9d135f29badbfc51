// The snapshot file: the whole document as one framed record, replaced atomically
// (temp file, fsync, rename, fsync the directory) so a crash leaves either the old
// snapshot or the new one, never a mix.

import { closeSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { DATA_FILE_MODE, RECORD_HEADER_BYTES } from './constants.ts'
import { DocumentCorruptError } from './errors.ts'
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
  fsyncDirectory(dirname(file))
}

/** What `meshd doctor --repair` does with a damaged snapshot (doctor.ts). */
export const SNAPSHOT_REPAIR = 'moves it aside (kept next to it) so the node starts from the log and takes the rest back from its peers; ' +
  'a node that is the whole cluster should restore it from a backup instead'

/**
 * Reads the state saved in `file`: undefined when there is no snapshot, a
 * DocumentCorruptError when it is damaged. A damaged snapshot is never treated as
 * empty: starting empty would silently forget the cluster.
 */
export function readSnapshot (file: string): Uint8Array | undefined {
  let buf: Buffer
  try {
    buf = readFileSync(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  const damage = snapshotDamage(buf)
  if (damage !== undefined) {
    throw new DocumentCorruptError({
      dataDir: dirname(file),
      file,
      ...damage,
      repair: SNAPSHOT_REPAIR
    })
  }
  return decodeRecords(buf).bodies[0]
}

/** What is wrong with a snapshot file's bytes, if anything: it must hold exactly one valid record. */
export function snapshotDamage (buf: Uint8Array): { offset: number, defect: string, detail: string } | undefined {
  const { bodies, validBytes, defect } = decodeRecords(buf)
  if (defect !== undefined) return { offset: validBytes, defect, detail: `the snapshot's ${buf.byteLength} bytes are not one record with a matching checksum` }
  if (bodies.length !== 1) {
    const offset = bodies.length === 0 ? 0 : RECORD_HEADER_BYTES + (bodies[0]?.byteLength ?? 0)
    return { offset, defect: bodies.length === 0 ? 'empty' : 'trailing-bytes', detail: `a snapshot must hold exactly one record, this one holds ${bodies.length}` }
  }
  return undefined
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
/** Makes the entries of `dir` durable (best effort, see above). */
export function fsyncDirectory (dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // best effort, see above
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
