// The document on disk: a snapshot plus an append-only log of the updates since.
// Every update is appended with one synchronous write before the call that made it
// returns, so it survives the process being killed; sync() makes what was appended
// survive a power loss too (disk.ts decides when). Compaction folds the log into a new
// snapshot, written durably.

import { closeSync, existsSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, truncateSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { DATA_DIR_MODE, DATA_FILE_MODE, LOG_FILE, RECORD_HEADER_BYTES, SNAPSHOT_FILE } from './constants.ts'
import { DocumentCorruptError } from './errors.ts'
import { encodeRecord } from './record.ts'
import { isTornTail, scanLog } from './scan.ts'
import { fsyncDirectory, readSnapshot, writeAll, writeSnapshot } from './snapshot.ts'
import type { Logger } from '../logger.ts'

export interface DocumentStoreInit {
  dir: string
  log: Logger
  /** Compaction is due once the log holds more bytes than this. */
  compactBytes: number
  /** Compaction is due once the log holds more records than this. */
  compactRecords: number
}

interface StoredUpdates {
  updates: Uint8Array[]
  /** Where each update's record starts in the log, to name it if it cannot be applied. */
  offsets: number[]
}

/** What open() found on disk, in the order it must be applied. */
export interface StoredDocument extends StoredUpdates {
  snapshot?: Uint8Array
}

/** The snapshot and the update log in one data directory; knows bytes, not Yjs. */
export class DocumentStore {
  readonly dir: string
  readonly snapshotFile: string
  readonly logFile: string
  private readonly init: DocumentStoreInit
  private fd: number | undefined
  /** Bytes of complete records in the log: the offset to cut back to if a write fails. */
  private logBytes = 0
  private logRecords = 0
  private snapshotBytes = 0

  constructor (init: DocumentStoreInit) {
    this.init = init
    this.dir = init.dir
    this.snapshotFile = join(init.dir, SNAPSHOT_FILE)
    this.logFile = join(init.dir, LOG_FILE)
  }

  get isOpen (): boolean {
    return this.fd !== undefined
  }

  /** Creates the directory, reads snapshot and log, cuts a torn log tail, opens the log for appending; throws DocumentCorruptError for other damage. */
  open (): StoredDocument {
    if (this.fd !== undefined) throw new Error(`${this.logFile} is already open`)
    const created = mkdirSync(this.init.dir, { recursive: true, mode: DATA_DIR_MODE })
    const snapshot = readSnapshot(this.snapshotFile)
    this.snapshotBytes = snapshot === undefined ? 0 : RECORD_HEADER_BYTES + snapshot.byteLength
    const log = this.readLog()
    const newLog = !existsSync(this.logFile)
    this.fd = openSync(this.logFile, 'a', DATA_FILE_MODE)
    // A synced record is only as durable as the directory entries that lead to it.
    if (newLog) fsyncDirectory(this.dir)
    fsyncNewDirectories(this.dir, created)
    return snapshot === undefined ? log : { snapshot, ...log }
  }

  /** Appends one update to the log, not yet synced; true when compaction is due. */
  append (update: Uint8Array): boolean {
    if (this.fd === undefined) throw new Error(`${this.logFile} is not open`)
    const record = encodeRecord(update)
    try {
      writeAll(this.fd, record)
    } catch (err) {
      // A partial record would hide every later record from the next load: cut it off.
      // If even that fails, the caller's next step is compact(), which empties the log.
      try { ftruncateSync(this.fd, this.logBytes) } catch {}
      throw err
    }
    this.logBytes += record.byteLength
    this.logRecords += 1
    return this.compactionDue()
  }

  /** Makes every record appended so far durable (fdatasync of the log). */
  sync (): void {
    if (this.fd === undefined) throw new Error(`${this.logFile} is not open`)
    fdatasyncSync(this.fd)
  }

  /** True when the log has outgrown either compaction threshold. */
  compactionDue (): boolean {
    return this.logBytes > this.init.compactBytes || this.logRecords > this.init.compactRecords
  }

  /** Replaces the snapshot with `state`, which must contain every logged update, and empties the log. */
  compact (state: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`${this.logFile} is not open`)
    // Snapshot first, log second: a crash in between replays updates the snapshot
    // already holds, which Yjs ignores. The other order could lose them.
    writeSnapshot(this.snapshotFile, state)
    this.snapshotBytes = RECORD_HEADER_BYTES + state.byteLength
    ftruncateSync(this.fd, 0)
    this.logBytes = 0
    this.logRecords = 0
  }

  /** Closes the log; open() may be called again. */
  close (): void {
    if (this.fd === undefined) return
    closeSync(this.fd)
    this.fd = undefined
  }

  /** Bytes on disk: the snapshot and the log. Exact for the state right after a compaction; above it as the log grows. */
  size (): number {
    return this.snapshotBytes + this.logBytes
  }

  /** The size of the log since the last compaction. */
  logSize (): { bytes: number, records: number } {
    return { bytes: this.logBytes, records: this.logRecords }
  }

  // A torn tail (scan.ts) is what a crash leaves behind: the records before it are
  // intact and the damaged ones were never acknowledged, so cutting it loses nothing.
  // Damage with valid records after it is not a crash's doing: cutting there would
  // drop acknowledged records without a word, so the start stops instead.
  private readLog (): StoredUpdates {
    let buf: Buffer
    try {
      buf = readFileSync(this.logFile)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      buf = Buffer.alloc(0)
    }
    const { bodies, offsets, validBytes, defect } = scanLog(buf)
    if (defect !== undefined && !isTornTail(defect)) {
      throw new DocumentCorruptError({
        dataDir: this.dir,
        file: this.logFile,
        offset: defect.offset,
        defect: defect.kind,
        detail: `a valid record follows at byte ${defect.nextRecord}, so this is not a torn tail`,
        repair: `cuts the log at byte ${defect.offset} and keeps the ${buf.byteLength - defect.offset} bytes it cuts in a file next to it`
      })
    }
    if (defect !== undefined) {
      this.init.log.warn({ file: this.logFile, defect: defect.kind, validBytes, droppedBytes: buf.byteLength - validBytes, records: bodies.length },
        `truncated a torn tail of the update log: dropped ${buf.byteLength - validBytes} bytes`)
      truncateSync(this.logFile, validBytes)
    }
    this.logBytes = validBytes
    this.logRecords = bodies.length
    return { updates: bodies, offsets }
  }
}

// mkdir made `created` and every directory below it down to `dir`; each one's entry
// lives in its parent.
function fsyncNewDirectories (dir: string, created: string | undefined): void {
  if (created === undefined) return
  const top = dirname(resolve(created))
  for (let at = resolve(dir); at !== top && at !== dirname(at); at = dirname(at)) fsyncDirectory(dirname(at))
}
