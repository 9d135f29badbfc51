// Defaults of the cluster document and the names of its files in the data directory.

/** The snapshot: the whole document as one Yjs update, replaced atomically. */
export const SNAPSHOT_FILE = 'document.snapshot'

/** The append-only log of updates written since the snapshot. */
export const LOG_FILE = 'document.log'

/**
 * Compact when the log holds more bytes than this. Updates are a few hundred bytes,
 * so in practice COMPACT_RECORDS triggers first; this bounds logs of large specs.
 */
export const COMPACT_BYTES = 4 * 1024 * 1024

/**
 * Compact when the log holds more records than this. Replaying a record costs
 * 10-30 µs (a Yjs transaction's worth of decoding each), far more than the same change
 * costs inside a snapshot, so the record count, not the byte count, bounds the load
 * time after a crash (a clean stop() compacts anyway): 1000 records, 10-30 ms.
 */
export const COMPACT_RECORDS = 1000

/**
 * Updates from peers are fsynced at most this long after they were appended, one
 * fdatasync per burst (disk.ts says why they may wait and this node's own may not).
 * Short enough that a power loss costs at most a tenth of a second of gossip, which
 * the next sync round brings back anyway.
 */
export const PEER_SYNC_DELAY_MS = 100

/**
 * The free space (statfs f_bavail) a write of this node needs on the data dir's
 * filesystem, on top of the document's own size; below it the write is refused before
 * it is applied (Yjs cannot take a change back once it failed to reach the log).
 * The document's size is counted because a compaction writes a whole new snapshot
 * next to the old one before the rename frees it. The margin covers the write itself
 * (an API body is at most 1 MiB, its update about as large), the peers' updates that
 * keep arriving and are never refused, the other files of the data dir, the
 * filesystem's own metadata, and the cut copies `meshd doctor --repair` keeps:
 * 16 MiB leaves room for all of it with a wide berth.
 */
export const FREE_SPACE_MARGIN_BYTES = 16 * 1024 * 1024

/**
 * The size a write of this node may grow the document to (snapshot + log on disk,
 * made exact by a compaction when that sum is over). Every node holds the whole
 * document in memory and sends it whole to a node that joins; this bounds both. A
 * typical cluster's document is well under 1 MiB: 64 MiB is room for thousands of
 * services before a runaway script fills every node's memory and disk. Deletes are
 * never refused by it, and peers' updates are not checked: a node cannot refuse the
 * cluster's state, only add to it.
 */
export const DOCUMENT_QUOTA_BYTES = 64 * 1024 * 1024

/**
 * A write the quota would refuse by snapshot + log first gets an exact measure (a
 * compaction) when the log is at least 1/16 of that sum, or this node deleted a record
 * since the last compaction (an operator who deletes to make room sees it at once).
 * A compaction encodes and writes the whole document (1.2 s for 60 MiB on the dev VM):
 * near the quota, one per write would stall the node. At 1/16 a byte of log costs at
 * most 16 bytes of snapshot, the ratio COMPACT_BYTES already has at 64 MiB. The price:
 * within 1/16 of the quota, the estimate may refuse a write that would just fit.
 */
export const QUOTA_RECHECK_LOG_SHARE = 16

/** Each record starts with a u32 length and a u32 CRC-32 of the body (little-endian). */
export const RECORD_HEADER_BYTES = 8

/** No update is this large; a longer length field is corruption, not a record. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024

/**
 * The data directory and every file in it are private to the daemon's user: the
 * document names every service's image, environment and command, and the same
 * directory holds the node key and the cluster secret.
 */
export const DATA_DIR_MODE = 0o700
export const DATA_FILE_MODE = 0o600
