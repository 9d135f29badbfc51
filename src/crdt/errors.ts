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
