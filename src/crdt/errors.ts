// The cluster document's errors that callers act on, each with what to do about it.
// The codes of the storage errors are the API's (node/errors.ts maps them to 507);
// the document cannot import that registry, so the strings are repeated here.

/** The command that inspects and repairs a data dir, as errors and the doctor print it. */
export function doctorCommand (dataDir: string, repair = false): string {
  return `meshd doctor --data-dir ${shellWord(dataDir)}${repair ? ' --repair' : ''}`
}

export interface DocumentCorruptInit {
  dataDir: string
  file: string
  /** Byte offset of the first damaged record. */
  offset: number
  /** What is wrong there, e.g. "bad-checksum". */
  defect: string
  /** Why this is damage and not a torn tail, e.g. "valid records follow at byte 4096". */
  detail: string
  /** What `meshd doctor --repair` does about it. */
  repair: string
}

/** A document file is damaged in a way a crash cannot explain: the node refuses to start on it. */
export class DocumentCorruptError extends Error {
  readonly file: string
  readonly offset: number
  readonly defect: string

  constructor (init: DocumentCorruptInit) {
    super(`cluster document file ${init.file} is damaged at byte ${init.offset} (${init.defect}: ${init.detail}); ` +
      'not starting, since cutting or ignoring it would silently lose acknowledged writes. ' +
      `\`${doctorCommand(init.dataDir)}\` shows the damage; \`${doctorCommand(init.dataDir, true)}\` ${init.repair}`)
    this.name = 'DocumentCorruptError'
    this.file = init.file
    this.offset = init.offset
    this.defect = init.defect
  }
}

// Quoted only when needed: the command is meant to be copied as it is printed.
function shellWord (word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll('\'', '\'\\\'\'')}'`
}

/**
 * A write of this node refused, before anything was applied, because the data dir's
 * filesystem is short of room; or (rarely) one whose append failed for lack of room
 * after the check passed. The API answers 507 MESHD_STORAGE_FULL.
 */
export class StorageFullError extends Error {
  readonly code = 'MESHD_STORAGE_FULL'
  readonly dataDir: string

  constructor (dataDir: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StorageFullError'
    this.dataDir = dataDir
  }
}

/** A write of this node refused, before anything was applied, because the document would outgrow its quota: API 507 MESHD_DOCUMENT_QUOTA. */
export class DocumentQuotaError extends Error {
  readonly code = 'MESHD_DOCUMENT_QUOTA'
  /** The document's size on disk and its quota, in bytes. */
  readonly bytes: number
  readonly quota: number

  constructor (bytes: number, added: number, quota: number) {
    super(`the cluster document would outgrow its quota: ${sizeText(bytes)} + about ${sizeText(added)} for this write > ${sizeText(quota)}; ` +
      'delete services (or other records) to make room')
    this.name = 'DocumentQuotaError'
    this.bytes = bytes
    this.quota = quota
  }
}

/** A size for messages: bytes below 1 MiB, else MiB with two decimals. */
export function sizeText (bytes: number): string {
  return bytes < 1024 * 1024 ? `${bytes} bytes` : `${(bytes / 1024 / 1024).toFixed(2)} MiB`
}
