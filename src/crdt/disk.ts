// Binds the Y.Doc to its files: loads it from snapshot and log, appends each later
// update, compacts. An update that could not be appended is not retried on its own:
// the next write takes a snapshot instead, which holds it along with everything else.
//
// When an update is durable. One made on this node is fsynced (fdatasync of the log)
// before the call that made it returns: the API answers right after, and its answer
// promises that the write survives a power loss. That is one fdatasync per transaction,
// synchronous on the event loop, and it carries every record appended since the last
// one: the group commit there is to have. Measured on the dev VM (ext4 on virtio): a
// 400-byte append + fdatasync 0.23 ms median (p99 0.6 ms) idle; putService end to end
// 2-3 ms median (p99 30-60 ms) against 0.05 ms unsynced while the machine ran the
// integration tests. A spinning disk takes 5-10 ms. An update from a peer is on the disk
// of the peer that wrote it, which synced it before it answered, and a lost one comes
// back with the next sync round. So peer updates are synced lazily: one fdatasync at
// most PEER_SYNC_DELAY_MS after the first of a burst (a sync round brings hundreds).

import { dirname } from 'node:path'
import * as Y from 'yjs'
import { COMPACT_BYTES, COMPACT_RECORDS, DOCUMENT_QUOTA_BYTES, FREE_SPACE_MARGIN_BYTES, PEER_SYNC_DELAY_MS, QUOTA_RECHECK_LOG_SHARE, RECORD_HEADER_BYTES } from './constants.ts'
import { DocumentCorruptError, DocumentQuotaError } from './errors.ts'
import { freeBytes, storageError, tooLittleRoom } from './storage.ts'
import { SNAPSHOT_REPAIR } from './snapshot.ts'
import { DocumentStore } from './persistence.ts'
import type { DocumentStoreInit } from './persistence.ts'
import type { Logger } from '../logger.ts'

/** How the document is kept on disk; every field has a default. */
export interface DiskOptions {
  /** Compact once the log holds more bytes than this (default COMPACT_BYTES). */
  compactBytes?: number
  /** Compact once the log holds more records than this (default COMPACT_RECORDS). */
  compactRecords?: number
  /** The size this node's writes may grow the document to (default DOCUMENT_QUOTA_BYTES). */
  quotaBytes?: number
  /** Free bytes on the data dir's filesystem (default: statfs); a test's simulated full disk. */
  freeBytes?: (dir: string) => number
}

interface DocumentDiskInit extends DocumentStoreInit {
  quotaBytes: number
  freeBytes: (dir: string) => number
}

/** A Y.Doc's persistence: load at start, admit and persist each update, compact. */
export class DocumentDisk {
  private readonly store: DocumentStore
  private readonly log: Logger
  private readonly init: DocumentDiskInit
  private statfsFailed = false
  /** An update missed the log; only a snapshot can capture it now. */
  private snapshotDue = false
  /** This node deleted a record since the last compaction: the document may be smaller than it looks. */
  private deleted = false
  /** Pending lazy sync of peer updates appended since the last fdatasync. */
  private syncTimer: NodeJS.Timeout | undefined

  constructor (dir: string, log: Logger, options: DiskOptions = {}) {
    this.init = {
      dir,
      log,
      compactBytes: options.compactBytes ?? COMPACT_BYTES,
      compactRecords: options.compactRecords ?? COMPACT_RECORDS,
      quotaBytes: options.quotaBytes ?? DOCUMENT_QUOTA_BYTES,
      freeBytes: options.freeBytes ?? freeBytes
    }
    this.store = new DocumentStore(this.init)
    this.log = log
  }

  get isOpen (): boolean {
    return this.store.isOpen
  }

  /** Opens the files and applies what they hold to `doc` in one transaction; throws DocumentCorruptError naming a damaged file. */
  load (doc: Y.Doc, origin: unknown): void {
    const started = performance.now()
    const store = this.store
    try {
      const { snapshot, updates, offsets } = store.open()
      // One transaction for everything: per-transaction cleanup would otherwise
      // dominate the replay of a long log.
      Y.transact(doc, () => {
        if (snapshot !== undefined) applyStored(doc, snapshot, origin, store.snapshotFile, RECORD_HEADER_BYTES, SNAPSHOT_REPAIR)
        updates.forEach((update, i) => {
          const offset = offsets[i] ?? 0
          applyStored(doc, update, origin, store.logFile, offset, `cuts the log at byte ${offset} and keeps the bytes it cuts in a file next to it`)
        })
      }, origin, false)
      this.log.info({
        dataDir: store.dir,
        snapshotBytes: snapshot?.byteLength ?? 0,
        updates: updates.length,
        ms: Math.round(performance.now() - started)
      }, 'loaded the cluster document')
    } catch (err) {
      store.close()
      this.log.error({ err, dataDir: store.dir }, 'could not load the cluster document')
      throw err
    }
    if (store.compactionDue()) this.tryCompact(doc)
  }

  /**
   * Refuses a write of this node that would add about `bytes`, before it is applied:
   * StorageFullError when the filesystem is short of room, DocumentQuotaError when the
   * document would outgrow its quota (not for a write that only deletes: `grows` false).
   */
  admit (doc: Y.Doc, bytes: number, grows: boolean): void {
    const free = this.freeBytes()
    const needed = this.store.size() + bytes + FREE_SPACE_MARGIN_BYTES
    if (free !== undefined && free < needed) throw tooLittleRoom(this.store.dir, free, needed)
    if (!grows) this.deleted = true
    if (!grows || this.store.size() + bytes <= this.init.quotaBytes) return
    // Snapshot + log overstates the document by every superseded update in the log; a
    // compaction measures it exactly, at the cost of writing the whole document. So only
    // when it can pay off (QUOTA_RECHECK_LOG_SHARE): never once per write near the quota.
    const log = this.store.logSize().bytes
    if (log > 0 && (this.deleted || log * QUOTA_RECHECK_LOG_SHARE >= this.store.size())) {
      try {
        this.compact(doc)
      } catch (err) {
        throw storageError(err, this.store.dir)
      }
    }
    const size = this.store.size()
    if (size + bytes > this.init.quotaBytes) throw new DocumentQuotaError(size, bytes, this.init.quotaBytes)
  }

  /**
   * Appends `update` of `doc` to the log, compacting when due. `durable`: synced before
   * this returns (a write of this node), else within PEER_SYNC_DELAY_MS. Throws when it
   * may not be on disk.
   */
  persist (doc: Y.Doc, update: Uint8Array, durable: boolean): void {
    try {
      if (this.snapshotDue) {
        this.compact(doc) // a snapshot is written durably and holds this update with the rest
        return
      }
      // A compaction makes the update durable too; one that failed leaves the log to sync.
      if (this.store.append(update) && this.tryCompact(doc)) return
      if (durable) this.syncNow()
      else this.syncSoon()
    } catch (err) {
      this.snapshotDue = true
      this.log.error({ err, dataDir: this.store.dir }, 'could not persist a document update; the next write retries with a snapshot')
      throw storageError(err, this.store.dir)
    }
  }

  /** Folds the log into the snapshot, then closes the files; open again with load(). */
  close (doc: Y.Doc): void {
    // A clean stop leaves an empty log: only a restart after a crash replays records,
    // which cost far more to load than the same history in a snapshot.
    const compacted = (this.snapshotDue || this.store.logSize().records > 0) && this.tryCompact(doc)
    if (!compacted && this.syncTimer !== undefined) this.trySync()
    clearTimeout(this.syncTimer)
    this.syncTimer = undefined
    this.store.close()
  }

  // A filesystem that cannot say how full it is does not block writes: the append's own
  // ENOSPC still turns into a StorageFullError.
  private freeBytes (): number | undefined {
    try {
      return this.init.freeBytes(this.store.dir)
    } catch (err) {
      if (!this.statfsFailed) this.log.warn({ err, dataDir: this.store.dir }, 'cannot read the free space of the data dir; writes are not checked against it')
      this.statfsFailed = true
      return undefined
    }
  }

  private syncNow (): void {
    clearTimeout(this.syncTimer)
    this.syncTimer = undefined
    this.store.sync()
  }

  private syncSoon (): void {
    if (this.syncTimer !== undefined) return
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined
      this.trySync()
    }, PEER_SYNC_DELAY_MS)
    this.syncTimer.unref()
  }

  private trySync (): void {
    try {
      this.store.sync()
    } catch (err) {
      // Whether the records reached the disk is unknown now: a snapshot settles it.
      this.snapshotDue = true
      this.log.error({ err, dataDir: this.store.dir }, 'could not sync the update log; the next write takes a snapshot')
    }
  }

  private compact (doc: Y.Doc): void {
    const started = performance.now()
    const state = Y.encodeStateAsUpdateV2(doc)
    this.store.compact(state)
    this.snapshotDue = false
    this.deleted = false
    // The snapshot is durable and the log empty: nothing is left for a pending sync.
    clearTimeout(this.syncTimer)
    this.syncTimer = undefined
    this.log.debug({ snapshotBytes: state.byteLength, ms: Math.round(performance.now() - started) }, 'compacted the cluster document')
  }

  /** Compacts; false (and logged) when that failed and the log must be synced instead. */
  private tryCompact (doc: Y.Doc): boolean {
    try {
      this.compact(doc)
      return true
    } catch (err) {
      this.log.error({ err, dataDir: this.store.dir }, 'could not write a snapshot of the cluster document')
      return false
    }
  }
}

// A record whose checksum holds but which Yjs rejects was written wrong, not damaged
// later; the repair is the same (cut it, peers hold the updates), so is the error.
function applyStored (doc: Y.Doc, update: Uint8Array, origin: unknown, file: string, offset: number, repair: string): void {
  try {
    Y.applyUpdateV2(doc, update, origin)
  } catch (err) {
    throw new DocumentCorruptError({
      dataDir: dirname(file),
      file,
      offset,
      defect: 'unreadable-update',
      detail: `its checksum holds but Yjs cannot apply it: ${String(err)}`,
      repair
    })
  }
}
