// What `meshd doctor` finds in a data dir and what its --repair does to the cluster
// document. It finds what start() would refuse, by the same checks: the snapshot's
// framing, the log scan that tells a torn tail from corruption (scan.ts), and a replay
// of every record through Yjs. A repair never throws bytes away: what it cuts from the
// log, or the snapshot it moves aside, is kept next to it (0600) and named in the report.

import { chmodSync, closeSync, fsyncSync, ftruncateSync, lstatSync, openSync, readdirSync, readFileSync, renameSync } from 'node:fs'
import type { Stats } from 'node:fs'
import { dirname, join } from 'node:path'
import * as Y from 'yjs'
import { DATA_DIR_MODE, DATA_FILE_MODE, LOG_FILE, RECORD_HEADER_BYTES, SNAPSHOT_FILE } from './constants.ts'
import { isTornTail, scanLog } from './scan.ts'
import { fsyncDirectory, snapshotDamage, writeAll } from './snapshot.ts'

/** One entry of the data dir. */
export interface FileReport {
  name: string
  kind: 'file' | 'directory' | 'socket' | 'symlink' | 'other'
  bytes: number
  /** Permission bits in octal, e.g. "0600". */
  mode: string
}

/** The first damage in a document file. */
export interface DefectReport {
  /** Byte offset where the damage starts: everything before it is sound. */
  offset: number
  /** e.g. "bad-checksum", "short-body", "unreadable-update". */
  kind: string
  detail: string
  /** A torn tail, which start() cuts by itself; anything else stops start(). */
  torn: boolean
}

/** One of the document's two files. */
export interface DocumentFileReport {
  file: string
  present: boolean
  bytes: number
  /** Records that are sound (the snapshot has one); for the log, those before the defect. */
  records: number
  defect?: DefectReport
}

/** Everything the doctor found in a data dir. */
export interface DataDirReport {
  dir: string
  exists: boolean
  mode?: string
  files: FileReport[]
  snapshot: DocumentFileReport
  log: DocumentFileReport
  /** One line per thing to fix, for people; empty when healthy. */
  problems: string[]
  /** start() would load the document (a torn tail it cuts by itself). */
  startable: boolean
}

/** What a repair did to one file. */
export interface RepairAction {
  file: string
  /** "cut" (the log from `offset` on) or "moved" (the whole snapshot). */
  action: 'cut' | 'moved'
  offset: number
  bytes: number
  /** Where the bytes taken out are kept. */
  keptIn: string
}

/** Examines `dir`: its entries and their modes, the snapshot, the log. Reads only. */
export function examineDataDir (dir: string): DataDirReport {
  const snapshotFile = join(dir, SNAPSHOT_FILE)
  const logFile = join(dir, LOG_FILE)
  const dirStat = statOrUndefined(dir)
  if (dirStat === undefined) {
    const absent = (file: string): DocumentFileReport => ({ file, present: false, bytes: 0, records: 0 })
    return { dir, exists: false, files: [], snapshot: absent(snapshotFile), log: absent(logFile), problems: [`${dir} does not exist`], startable: true }
  }
  const files = readdirSync(dir).sort().map((name) => fileReport(dir, name))
  const doc = new Y.Doc()
  const snapshot = examineSnapshot(snapshotFile, doc)
  const log = examineLog(logFile, doc)
  const problems = [
    ...modeProblems(dir, modeText(dirStat.mode), files),
    ...[snapshot, log].flatMap((report) => report.defect === undefined ? [] : [defectLine(report, report.defect)])
  ]
  const startable = snapshot.defect === undefined && (log.defect?.torn ?? true)
  return { dir, exists: true, mode: modeText(dirStat.mode), files, snapshot, log, problems, startable }
}

/**
 * Repairs the document files of `dir` (no daemon may be running on it): moves a damaged
 * snapshot aside, and cuts the log at its first defect; every byte taken out is kept
 * in a `.cut-<time>` file next to its file. Returns what it did; nothing when healthy.
 */
export function repairDocument (dir: string, now = Date.now()): RepairAction[] {
  const report = examineDataDir(dir)
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-')
  const actions: RepairAction[] = []
  if (report.snapshot.defect !== undefined) {
    const keptIn = `${report.snapshot.file}.cut-${stamp}`
    renameSync(report.snapshot.file, keptIn)
    chmodSync(keptIn, DATA_FILE_MODE)
    fsyncDirectory(dir)
    actions.push({ file: report.snapshot.file, action: 'moved', offset: 0, bytes: report.snapshot.bytes, keptIn })
  }
  if (report.log.defect !== undefined) {
    const { file } = report.log
    const { offset } = report.log.defect
    const keptIn = `${file}.cut-${stamp}`
    const cut = readFileSync(file).subarray(offset)
    // The copy is durable before the log loses a byte: a crash in between leaves both.
    writeDurably(keptIn, cut)
    const fd = openSync(file, 'r+')
    try {
      ftruncateSync(fd, offset)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    actions.push({ file, action: 'cut', offset, bytes: cut.byteLength, keptIn })
  }
  return actions
}

function examineSnapshot (file: string, doc: Y.Doc): DocumentFileReport {
  const buf = readOrUndefined(file)
  if (buf === undefined) return { file, present: false, bytes: 0, records: 0 }
  const damage = snapshotDamage(buf)
  if (damage !== undefined) return { file, present: true, bytes: buf.byteLength, records: 0, defect: { ...damage, kind: damage.defect, torn: false } }
  const unreadable = replay(doc, buf.subarray(RECORD_HEADER_BYTES))
  if (unreadable !== undefined) {
    return { file, present: true, bytes: buf.byteLength, records: 0, defect: { offset: RECORD_HEADER_BYTES, kind: 'unreadable-update', detail: unreadable, torn: false } }
  }
  return { file, present: true, bytes: buf.byteLength, records: 1 }
}

function examineLog (file: string, doc: Y.Doc): DocumentFileReport {
  const buf = readOrUndefined(file)
  if (buf === undefined) return { file, present: false, bytes: 0, records: 0 }
  const { bodies, offsets, defect } = scanLog(buf)
  // The first record Yjs rejects is the first defect, if it comes before the scan's.
  for (const [i, body] of bodies.entries()) {
    const unreadable = replay(doc, body)
    if (unreadable !== undefined) {
      return { file, present: true, bytes: buf.byteLength, records: i, defect: { offset: offsets[i] ?? 0, kind: 'unreadable-update', detail: unreadable, torn: false } }
    }
  }
  const report = { file, present: true, bytes: buf.byteLength, records: bodies.length }
  if (defect === undefined) return report
  const torn = isTornTail(defect)
  const detail = torn
    ? `a torn tail of ${buf.byteLength - defect.offset} bytes, no valid record after it (a crash mid-write; start cuts it by itself)`
    : `a valid record follows at byte ${defect.nextRecord}, so this is not a torn tail (${buf.byteLength - defect.offset} bytes from the damage on)`
  return { ...report, defect: { offset: defect.offset, kind: defect.kind, detail, torn } }
}

// Applies one stored update to the scratch document; what Yjs said when it could not.
function replay (doc: Y.Doc, update: Uint8Array): string | undefined {
  try {
    Y.applyUpdateV2(doc, update)
    return undefined
  } catch (err) {
    return `its checksum holds but Yjs cannot apply it: ${String(err)}`
  }
}

function defectLine (report: DocumentFileReport, defect: DefectReport): string {
  return `${report.file}: damaged at byte ${defect.offset} (${defect.kind}): ${defect.detail}`
}

function modeProblems (dir: string, dirMode: string, files: FileReport[]): string[] {
  const want = (mode: number): string => modeText(mode)
  const problems = dirMode === want(DATA_DIR_MODE) ? [] : [`${dir}: mode ${dirMode}, should be ${want(DATA_DIR_MODE)}`]
  for (const file of files) {
    if (file.kind === 'file' && file.mode !== want(DATA_FILE_MODE)) problems.push(`${join(dir, file.name)}: mode ${file.mode}, should be ${want(DATA_FILE_MODE)}`)
  }
  return problems
}

function fileReport (dir: string, name: string): FileReport {
  const stat = lstatSync(join(dir, name))
  const kind = stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : stat.isSocket() ? 'socket' : stat.isSymbolicLink() ? 'symlink' : 'other'
  return { name, kind, bytes: stat.size, mode: modeText(stat.mode) }
}

function modeText (mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`
}

function writeDurably (file: string, bytes: Uint8Array): void {
  const fd = openSync(file, 'wx', DATA_FILE_MODE)
  try {
    writeAll(fd, bytes)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  fsyncDirectory(dirname(file))
}

function readOrUndefined (file: string): Buffer | undefined {
  try {
    return readFileSync(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

function statOrUndefined (path: string): Stats | undefined {
  try {
    return lstatSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}
