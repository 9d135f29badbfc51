import { afterEach, describe as suite, expect, it } from 'vitest'
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, runDoctor } from '../../../src/node/cli/doctor.ts'
import { DataDirLockedError, lockDataDir } from '../../../src/node/datadir/index.ts'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import { encodeRecord } from '../../../src/crdt/record.ts'
import { silent } from '../../support/logger.ts'

const dirs: string[] = []
afterEach(() => { for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true }) })

// A data dir whose log holds three records, the second damaged, and a key file 0644.
async function damagedDir (): Promise<{ dir: string, log: Buffer, second: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'meshd-cli-doctor-'))
  dirs.push(dir)
  chmodSync(dir, 0o700)
  const writer = new ClusterDocument({ log: silent })
  await writer.start()
  const records: Buffer[] = []
  writer.on('update', (update) => { records.push(encodeRecord(update)) })
  for (const name of ['a', 'b', 'c']) writer.putDrain(name, { draining: true, updatedAt: 1 })
  const second = records[0]?.byteLength ?? 0
  const log = Buffer.concat(records)
  log[second + 9] = (log[second + 9] ?? 0) ^ 0x40
  writeFileSync(join(dir, 'document.log'), log, { mode: 0o600 })
  writeFileSync(join(dir, 'node.key'), 'k', { mode: 0o644 })
  chmodSync(join(dir, 'node.key'), 0o644)
  return { dir, log, second }
}

suite('meshd doctor', () => {
  it('reports without changing anything', async () => {
    const { dir, log, second } = await damagedDir()
    const result = await runDoctor(dir, false)
    expect(result.daemonRunning).toBe(false)
    expect(result.repair).toBeUndefined()
    expect(result.report.problems).toHaveLength(2)
    expect(readFileSync(join(dir, 'document.log'))).toEqual(log)
    const text = describe(result)
    expect(text).toContain(`damaged at byte ${second} (bad-checksum)`)
    expect(text).toContain('node.key: mode 0644, should be 0600')
    expect(text).toContain('meshd refuses to start on it')
    expect(text).toContain(`meshd doctor --data-dir ${dir} --repair`)
  })

  it('--repair cuts the log, keeps the cut bytes, fixes modes and says so', async () => {
    const { dir, log, second } = await damagedDir()
    const result = await runDoctor(dir, true)
    expect(result.report.problems).toEqual([])
    const cut = result.repair?.actions[0]
    expect(cut).toMatchObject({ action: 'cut', offset: second, bytes: log.byteLength - second })
    expect(readFileSync(cut?.keptIn ?? '')).toEqual(log.subarray(second))
    expect(statSync(join(dir, 'node.key')).mode & 0o777).toBe(0o600)
    expect(result.repair?.modesFixed).toEqual([join(dir, 'node.key')])
    const text = describe(result)
    expect(text).toContain(`cut ${join(dir, 'document.log')} at byte ${second}: it keeps its first 1 record (${second} bytes); the ${log.byteLength - second} bytes cut are kept in ${cut?.keptIn ?? ''}`)
    expect(text).toContain(`set the mode of ${join(dir, 'node.key')} to 0600`)
    expect(text).toContain('no problems')
    expect(JSON.parse(JSON.stringify(result))).toMatchObject({ report: { problems: [] }, repair: { actions: [{ action: 'cut' }] } })
  })

  it('--repair refuses while a daemon holds the data dir', async () => {
    const { dir, log } = await damagedDir()
    const lock = await lockDataDir(dir)
    try {
      expect((await runDoctor(dir, false)).daemonRunning).toBe(true)
      await expect(runDoctor(dir, true)).rejects.toThrow(DataDirLockedError)
      await expect(runDoctor(dir, true)).rejects.toThrow(/stop it before `meshd doctor --repair`/)
      expect(readFileSync(join(dir, 'document.log'))).toEqual(log)
    } finally {
      await lock.release()
    }
  })
})
