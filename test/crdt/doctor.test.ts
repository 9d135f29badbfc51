import { afterEach, describe, expect, it } from 'vitest'
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClusterDocument, DocumentCorruptError, examineDataDir, repairDocument } from '../../src/crdt/index.ts'
import { decodeRecords, encodeRecord } from '../../src/crdt/record.ts'
import { recordingLogger, serviceRecord } from './helpers.ts'

const dirs: string[] = []
afterEach(() => { for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true }) })

function newDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshd-doctor-'))
  dirs.push(dir)
  return dir
}

const logFile = (dir: string): string => join(dir, 'document.log')
const snapshotFile = (dir: string): string => join(dir, 'document.snapshot')
const NOW = Date.parse('2030-01-02T03:04:05.678Z')
const STAMP = '2030-01-02T03-04-05-678Z'

async function open (dir: string): Promise<ClusterDocument> {
  const doc = new ClusterDocument({ log: recordingLogger(), dataDir: dir })
  await doc.start()
  return doc
}

// A data dir as a crash leaves it after writing services a..e: log only, no snapshot.
// Returns it and where each record starts.
async function crashedDir (): Promise<{ dir: string, starts: number[] }> {
  const live = newDir()
  const doc = await open(live)
  for (const name of ['a', 'b', 'c', 'd', 'e']) doc.putService(name, serviceRecord(name))
  const dir = newDir()
  cpSync(live, dir, { recursive: true })
  await doc.stop()
  const { bodies } = decodeRecords(readFileSync(logFile(dir)))
  const starts = [0]
  for (const body of bodies.slice(0, -1)) starts.push((starts.at(-1) ?? 0) + 8 + body.byteLength)
  return { dir, starts }
}

function damage (file: string, offset: number): Buffer {
  const buf = readFileSync(file)
  buf[offset] = (buf[offset] ?? 0) ^ 0x40
  writeFileSync(file, buf)
  return buf
}

describe('examineDataDir', () => {
  it('reports a healthy dir: its files with sizes and modes, both document files sound', async () => {
    const dir = newDir()
    const doc = await open(dir)
    doc.putService('a', serviceRecord('a'))
    await doc.stop()
    chmodSync(dir, 0o700)
    const report = examineDataDir(dir)
    expect(report).toMatchObject({ exists: true, mode: '0700', problems: [], startable: true })
    expect(report.files).toEqual([
      { name: 'document.log', kind: 'file', bytes: 0, mode: '0600' },
      { name: 'document.snapshot', kind: 'file', bytes: statSync(snapshotFile(dir)).size, mode: '0600' }
    ])
    expect(report.snapshot).toMatchObject({ present: true, records: 1 })
    expect(report.snapshot.defect).toBeUndefined()
    expect(report.log).toMatchObject({ present: true, bytes: 0, records: 0 })
  })

  it('reports modes other than 0700 for the dir and 0600 for its files', () => {
    const dir = newDir()
    chmodSync(dir, 0o755)
    writeFileSync(join(dir, 'node.key'), 'k', { mode: 0o644 })
    expect(examineDataDir(dir).problems).toEqual([
      `${dir}: mode 0755, should be 0700`,
      `${join(dir, 'node.key')}: mode 0644, should be 0600`
    ])
  })

  it('says when the dir does not exist', () => {
    const report = examineDataDir(join(newDir(), 'missing'))
    expect(report.exists).toBe(false)
    expect(report.problems).toEqual([expect.stringContaining('does not exist')])
  })

  it('reports a damaged record inside the log with its offset, and that start() refuses it', async () => {
    const { dir, starts } = await crashedDir()
    damage(logFile(dir), (starts[2] ?? 0) + 12)
    const report = examineDataDir(dir)
    expect(report.startable).toBe(false)
    expect(report.log).toMatchObject({ records: 2, defect: { offset: starts[2], kind: 'bad-checksum', torn: false } })
    expect(report.problems).toEqual([expect.stringContaining(`${logFile(dir)}: damaged at byte ${starts[2]} (bad-checksum): a valid record follows at byte ${starts[3]}`)])
  })

  it('reports a torn tail as one start() cuts by itself', async () => {
    const { dir, starts } = await crashedDir()
    const log = readFileSync(logFile(dir))
    writeFileSync(logFile(dir), log.subarray(0, log.byteLength - 3))
    const report = examineDataDir(dir)
    expect(report.startable).toBe(true)
    expect(report.log).toMatchObject({ records: 4, defect: { offset: starts[4], kind: 'short-body', torn: true } })
  })

  it('reports a record whose checksum holds but which Yjs cannot apply, as start() does', async () => {
    const { dir, starts } = await crashedDir()
    const log = readFileSync(logFile(dir))
    const bad = encodeRecord(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]))
    writeFileSync(logFile(dir), Buffer.concat([log.subarray(0, starts[3]), bad, log.subarray(starts[3])]))
    expect(examineDataDir(dir).log).toMatchObject({ records: 3, defect: { offset: starts[3], kind: 'unreadable-update', torn: false } })
    const err: unknown = await open(dir).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DocumentCorruptError)
    expect(err).toMatchObject({ file: logFile(dir), offset: starts[3], defect: 'unreadable-update' })
  })
})

describe('repairDocument', () => {
  it('cuts the log at its first defect, keeps every cut byte next to it, and the document opens with every record before it', async () => {
    const { dir, starts } = await crashedDir()
    const third = starts[2] ?? 0
    const damaged = damage(logFile(dir), third + 4)
    await expect(open(dir)).rejects.toThrow(DocumentCorruptError)

    const actions = repairDocument(dir, NOW)
    const keptIn = `${logFile(dir)}.cut-${STAMP}`
    expect(actions).toEqual([{ file: logFile(dir), action: 'cut', offset: third, bytes: damaged.byteLength - third, keptIn }])
    expect(readFileSync(keptIn)).toEqual(damaged.subarray(third))
    expect(statSync(keptIn).mode & 0o777).toBe(0o600)
    expect(readFileSync(logFile(dir))).toEqual(damaged.subarray(0, third))
    expect(examineDataDir(dir).problems).toEqual([])

    const doc = await open(dir)
    expect(Object.keys(doc.services())).toEqual(['a', 'b'])
    await doc.stop()
    expect(repairDocument(dir, NOW + 1)).toEqual([])
  })

  it('cuts a torn tail too, keeping it', async () => {
    const { dir } = await crashedDir()
    const log = readFileSync(logFile(dir))
    writeFileSync(logFile(dir), Buffer.concat([log, Buffer.from([9, 9, 9])]))
    expect(repairDocument(dir, NOW)).toEqual([expect.objectContaining({ action: 'cut', offset: log.byteLength, bytes: 3 })])
    expect(readFileSync(`${logFile(dir)}.cut-${STAMP}`)).toEqual(Buffer.from([9, 9, 9]))
  })

  it('moves a damaged snapshot aside, keeping it, so the node starts from the log', async () => {
    const { dir } = await crashedDir()
    writeFileSync(snapshotFile(dir), 'not a snapshot', { mode: 0o644 })
    await expect(open(dir)).rejects.toThrow(DocumentCorruptError)
    expect(examineDataDir(dir).snapshot.defect).toMatchObject({ offset: 0, torn: false })

    const keptIn = `${snapshotFile(dir)}.cut-${STAMP}`
    expect(repairDocument(dir, NOW)).toEqual([{ file: snapshotFile(dir), action: 'moved', offset: 0, bytes: 14, keptIn }])
    expect(readFileSync(keptIn, 'utf8')).toBe('not a snapshot')
    expect(statSync(keptIn).mode & 0o777).toBe(0o600)
    expect(existsSync(snapshotFile(dir))).toBe(false)
    const doc = await open(dir)
    expect(Object.keys(doc.services())).toEqual(['a', 'b', 'c', 'd', 'e'])
    await doc.stop()
  })
})
