// Binds the Y.Doc to its files: loads it from snapshot and log, appends each later
// update, compacts. An update that could not be appended is not retried on its own:
// the next write takes a snapshot instead, which holds it along with everything else.

import { dirname } from 'node:path'
import * as Y from 'yjs'
import { RECORD_HEADER_BYTES } from './constants.ts'
import { DocumentCorruptError } from './errors.ts'
import { SNAPSHOT_REPAIR } from './snapshot.ts'
import { DocumentStore } from './persistence.ts'
import type { DocumentStoreInit } from './persistence.ts'
import type { Logger } from '../logger.ts'

/** A Y.Doc's persistence: load at start, persist each update, compact. */
export class DocumentDisk {
  private readonly store: DocumentStore
  private readonly log: Logger
  /** An update missed the log; only a snapshot can capture it now. */
  private snapshotDue = false

  constructor (init: DocumentStoreInit) {
    this.store = new DocumentStore(init)
    this.log = init.log
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

  /** Appends `update` of `doc` to the log, compacting when due; throws when it may not be on disk. */
  persist (doc: Y.Doc, update: Uint8Array): void {
    try {
      if (this.snapshotDue || this.store.append(update)) this.compact(doc)
    } catch (err) {
      this.snapshotDue = true
      this.log.error({ err, dataDir: this.store.dir }, 'could not persist a document update; the next write retries with a snapshot')
      throw err
    }
  }

  /** Folds the log into the snapshot, then closes the files; open again with load(). */
  close (doc: Y.Doc): void {
    // A clean stop leaves an empty log: only a restart after a crash replays records,
    // which cost far more to load than the same history in a snapshot.
    if (this.snapshotDue || this.store.logSize().records > 0) this.tryCompact(doc)
    this.store.close()
  }

  private compact (doc: Y.Doc): void {
    const started = performance.now()
    const state = Y.encodeStateAsUpdateV2(doc)
    this.store.compact(state)
    this.snapshotDue = false
    this.log.debug({ snapshotBytes: state.byteLength, ms: Math.round(performance.now() - started) }, 'compacted the cluster document')
  }

  private tryCompact (doc: Y.Doc): void {
    try {
      this.compact(doc)
    } catch (err) {
      this.log.error({ err, dataDir: this.store.dir }, 'could not write a snapshot of the cluster document')
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
