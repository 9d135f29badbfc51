import { describe, it, expect, afterEach } from 'vitest'
import { appendFileSync, closeSync, cpSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClusterDocument, DocumentCorruptError } from '../../src/crdt/index.ts'
import { PEER_SYNC_DELAY_MS } from '../../src/crdt/constants.ts'
import { decodeRecords } from '../../src/crdt/record.ts'
import { nodeRecord, prng, recordingLogger, replicaRecord, rolloutRecord, serviceRecord } from './helpers.ts'
import type { RecordingLogger } from './helpers.ts'

const dirs: string[] = []
afterEach(() => { for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true }) })

function newDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshd-crdt-persist-'))
  dirs.push(dir)
  return dir
}

const logFile = (dir: string): string => join(dir, 'document.log')
const snapshotFile = (dir: string): string => join(dir, 'document.snapshot')

async function open (dir: string, log: RecordingLogger = recordingLogger(), compactRecords = 1000): Promise<ClusterDocument> {
  const doc = new ClusterDocument({ log, dataDir: dir, compactRecords })
  await doc.start()
  return doc
}

// What a SIGKILL leaves on disk: the files as they are now, copied before the
// document can stop (a clean stop would fold the log into the snapshot).
async function crash (doc: ClusterDocument, dir: string): Promise<string> {
  const image = newDir()
  cpSync(dir, image, { recursive: true })
  await doc.stop()
  return image
}

function everything (doc: ClusterDocument): unknown {
  return { services: doc.services(), nodes: doc.nodes(), replicas: doc.replicas(), rollouts: doc.rollouts() }
}

describe('persistence across restarts', () => {
  for (const how of ['stop', 'crash'] as const) {
    it(`keeps every write and every delete after a ${how}`, async () => {
      const dir = newDir()
      const doc = await open(dir)
      doc.putService('web', serviceRecord('web'))
      doc.putService('gone', serviceRecord('gone'))
      doc.putNode('n1', nodeRecord('alpha'))
      doc.putReplica('n1', 'web#0', replicaRecord('web', 0))
      doc.putReplica('n1', 'web#1', replicaRecord('web', 1))
      doc.putRollout('web', rolloutRecord(2))
      doc.deleteService('gone')
      doc.deleteReplica('n1', 'web#1')
      const expected = everything(doc)

      const restartDir = how === 'stop' ? dir : await crash(doc, dir)
      if (how === 'stop') await doc.stop()
      const restarted = await open(restartDir)
      expect(everything(restarted)).toEqual(expected)
      expect(restarted.service('gone')).toBeUndefined()
      expect(restarted.replicasOf('n1')).toEqual({ 'web#0': replicaRecord('web', 0) })
      await restarted.stop()
    })
  }

  it('leaves only a snapshot after a clean stop', async () => {
    const dir = newDir()
    const doc = await open(dir)
    doc.putService('web', serviceRecord('web'))
    expect(statSync(logFile(dir)).size).toBeGreaterThan(0)
    await doc.stop()
    expect(statSync(logFile(dir)).size).toBe(0)
    expect(statSync(snapshotFile(dir)).size).toBeGreaterThan(0)
  })

  it('creates a missing dataDir', async () => {
    const dir = join(newDir(), 'nested', 'data')
    const doc = await open(dir)
    doc.putService('web', serviceRecord('web'))
    await doc.stop()
    expect(existsSync(snapshotFile(dir))).toBe(true)
  })

  it('creates the dataDir 0700 and its files 0600', async () => {
    const dir = join(newDir(), 'data')
    const doc = await open(dir)
    doc.putService('web', serviceRecord('web'))
    await doc.stop()
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    for (const file of [logFile(dir), snapshotFile(dir)]) expect(statSync(file).mode & 0o777).toBe(0o600)
  })

  it('writes a snapshot 0600 even over a temp file left with another mode', async () => {
    const dir = newDir()
    writeFileSync(`${snapshotFile(dir)}.tmp`, 'left by a crash', { mode: 0o644 })
    const doc = await open(dir)
    doc.putService('web', serviceRecord('web'))
    await doc.stop()
    expect(statSync(snapshotFile(dir)).mode & 0o777).toBe(0o600)
  })
})

describe('durability', () => {
  // Counts the store's fdatasyncs of the log (reaching into privates, as a spy).
  function countSyncs (doc: ClusterDocument): { count: number } {
    const store = (doc as unknown as { disk: { store: { sync(): void } } }).disk.store
    const sync = store.sync.bind(store)
    const counter = { count: 0 }
    store.sync = () => { counter.count += 1; sync() }
    return counter
  }

  it('syncs each local write before it returns, once per transaction', async () => {
    const doc = await open(newDir())
    const syncs = countSyncs(doc)
    doc.putService('a', serviceRecord('a'))
    expect(syncs.count).toBe(1)
    doc.transact(() => {
      doc.putService('b', serviceRecord('b'))
      doc.putNode('n1', nodeRecord('alpha'))
    })
    expect(syncs.count).toBe(2)
    doc.putService('b', serviceRecord('b')) // unchanged: no write, no sync
    expect(syncs.count).toBe(2)
    await doc.stop()
  })

  it('syncs a burst of peer updates once, within PEER_SYNC_DELAY_MS', async () => {
    const peer = new ClusterDocument({ log: recordingLogger() })
    await peer.start()
    const updates: Uint8Array[] = []
    peer.on('update', update => { updates.push(update) })
    for (const name of ['a', 'b', 'c']) peer.putService(name, serviceRecord(name))

    const dir = newDir()
    const doc = await open(dir)
    const syncs = countSyncs(doc)
    for (const update of updates) doc.applyUpdate(update, 'peer')
    expect(syncs.count).toBe(0)
    expect(decodeRecords(readFileSync(logFile(dir))).bodies).toHaveLength(3) // written, not yet synced
    await new Promise(resolve => setTimeout(resolve, PEER_SYNC_DELAY_MS + 50))
    expect(syncs.count).toBe(1)
    await doc.stop()
  })

  it('syncs pending peer updates when a local write syncs, without a second sync later', async () => {
    const peer = new ClusterDocument({ log: recordingLogger() })
    await peer.start()
    let update: Uint8Array | undefined
    peer.on('update', u => { update = u })
    peer.putService('a', serviceRecord('a'))

    const doc = await open(newDir())
    const syncs = countSyncs(doc)
    if (update !== undefined) doc.applyUpdate(update, 'peer')
    doc.putService('b', serviceRecord('b'))
    expect(syncs.count).toBe(1)
    await new Promise(resolve => setTimeout(resolve, PEER_SYNC_DELAY_MS + 50))
    expect(syncs.count).toBe(1)
    await doc.stop()
  })
})

describe('a torn or corrupt log tail', () => {
  // A log of three records (services a, b, c), as a crash right after the third write leaves it.
  async function threeRecordLog (): Promise<Buffer> {
    const dir = newDir()
    const doc = await open(dir)
    for (const name of ['a', 'b', 'c']) doc.putService(name, serviceRecord(name))
    const log = readFileSync(logFile(dir))
    await doc.stop()
    return log
  }

  function lastRecordStart (log: Buffer): number {
    const { bodies, validBytes } = decodeRecords(log)
    expect(validBytes).toBe(log.byteLength)
    return log.byteLength - 8 - (bodies.at(-1)?.byteLength ?? 0)
  }

  // Loads `damaged` as the log; the last record must be dropped, the rest kept,
  // the drop logged, and the log must take new records again.
  async function expectRecovered (damaged: Buffer, lastStart: number): Promise<void> {
    const dir = newDir()
    writeFileSync(logFile(dir), damaged)
    const log = recordingLogger()
    const doc = await open(dir, log)
    expect(Object.keys(doc.services())).toEqual(['a', 'b'])
    expect(log.warns).toHaveLength(1)
    expect(log.warns[0]?.obj).toMatchObject({ droppedBytes: damaged.byteLength - lastStart, validBytes: lastStart })
    expect(statSync(logFile(dir)).size).toBe(lastStart)

    doc.putService('d', serviceRecord('d'))
    const after = decodeRecords(readFileSync(logFile(dir)))
    expect(after.defect).toBeUndefined()
    expect(after.bodies).toHaveLength(3)
    const image = await crash(doc, dir)
    const restarted = await open(image)
    expect(Object.keys(restarted.services())).toEqual(['a', 'b', 'd'])
    await restarted.stop()
  }

  it('is truncated at every byte offset of the last record', async () => {
    const full = await threeRecordLog()
    const lastStart = lastRecordStart(full)
    for (let cut = lastStart + 1; cut < full.byteLength; cut++) {
      await expectRecovered(full.subarray(0, cut), lastStart)
    }
  })

  it('is truncated when a checksum or body byte is flipped', async () => {
    const full = await threeRecordLog()
    const lastStart = lastRecordStart(full)
    for (const offset of [lastStart + 4, lastStart + 7, lastStart + 8, full.byteLength - 1]) {
      const damaged = Buffer.from(full)
      damaged[offset] = (damaged[offset] ?? 0) ^ 0xff
      await expectRecovered(damaged, lastStart)
    }
  })

  it('recovers a daemon killed mid-write (garbage after the last record)', async () => {
    const rng = prng(7)
    for (const length of [1, 7, 8, 9, 100, 5000]) {
      const dir = newDir()
      const doc = await open(dir)
      doc.putService('a', serviceRecord('a'))
      doc.putNode('n1', nodeRecord('alpha'))
      const image = await crash(doc, dir)
      appendFileSync(logFile(image), Uint8Array.from({ length }, () => rng.int(256)))
      const log = recordingLogger()
      const restarted = await open(image, log)
      expect(restarted.services()).toEqual({ a: serviceRecord('a') })
      expect(restarted.nodes()).toEqual({ n1: nodeRecord('alpha') })
      expect(log.warns).toHaveLength(1)
      expect(log.warns[0]?.obj).toMatchObject({ droppedBytes: length })
      await restarted.stop()
    }
  })
})

describe('a damaged record inside the log', () => {
  // A log of five records (services a..e) and where each starts, as a crash leaves it.
  async function fiveRecordLog (dir: string): Promise<number[]> {
    const doc = await open(dir)
    for (const name of ['a', 'b', 'c', 'd', 'e']) doc.putService(name, serviceRecord(name))
    const log = readFileSync(logFile(dir))
    await crash(doc, dir)
    writeFileSync(logFile(dir), log)
    rmSync(snapshotFile(dir), { force: true })
    const { bodies } = decodeRecords(log)
    const starts = [0]
    for (const body of bodies.slice(0, -1)) starts.push((starts.at(-1) ?? 0) + 8 + body.byteLength)
    return starts
  }

  for (const [what, at] of [['checksum', 4], ['length', 1], ['body', 12]] as const) {
    it(`refuses start() naming the file, the offset and the repair (a flipped ${what} byte)`, async () => {
      const dir = newDir()
      const starts = await fiveRecordLog(dir)
      const damaged = readFileSync(logFile(dir))
      const third = starts[2] ?? 0
      damaged[third + at] = (damaged[third + at] ?? 0) ^ 0x40
      writeFileSync(logFile(dir), damaged)

      const log = recordingLogger()
      const doc = new ClusterDocument({ log, dataDir: dir })
      const err: unknown = await doc.start().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(DocumentCorruptError)
      expect(err).toMatchObject({ file: logFile(dir), offset: third })
      expect(String((err as Error).message)).toContain(`${logFile(dir)} is damaged at byte ${third}`)
      expect(String((err as Error).message)).toContain(`meshd doctor --data-dir ${dir} --repair`)
      expect(readFileSync(logFile(dir))).toEqual(damaged) // nothing cut
      expect(log.warns).toHaveLength(0)
      expect(() => doc.putService('x', serviceRecord('x'))).toThrow(/not started/)
    })
  }

  it('still cuts a torn tail behind intact records', async () => {
    const dir = newDir()
    const starts = await fiveRecordLog(dir)
    const damaged = readFileSync(logFile(dir))
    const last = starts[4] ?? 0
    damaged[last + 9] = (damaged[last + 9] ?? 0) ^ 0x40
    writeFileSync(logFile(dir), damaged)
    const log = recordingLogger()
    const doc = await open(dir, log)
    expect(Object.keys(doc.services())).toEqual(['a', 'b', 'c', 'd'])
    expect(log.warns).toHaveLength(1)
    await doc.stop()
  })
})

describe('compaction', () => {
  it('keeps the state and bounds the log', async () => {
    const dir = newDir()
    const doc = await open(dir, recordingLogger(), 10)
    let written = 0
    doc.on('update', update => { written += update.byteLength + 8 })
    for (let i = 0; i < 95; i++) doc.putReplica('n1', `web#${i % 7}`, replicaRecord('web', i % 7, 'running', i))
    const expected = everything(doc)
    const { bodies } = decodeRecords(readFileSync(logFile(dir)))
    expect(bodies.length).toBeLessThanOrEqual(10)
    expect(statSync(logFile(dir)).size).toBeLessThan(written / 5)
    expect(existsSync(snapshotFile(dir))).toBe(true)

    const image = await crash(doc, dir)
    const restarted = await open(image)
    expect(everything(restarted)).toEqual(expected)
    await restarted.stop()
  })

  it('compacts by bytes too', async () => {
    const dir = newDir()
    const doc = new ClusterDocument({ log: recordingLogger(), dataDir: dir, compactBytes: 2000 })
    await doc.start()
    for (let i = 0; i < 40; i++) doc.putService('web', serviceRecord('web', i + 1))
    expect(statSync(logFile(dir)).size).toBeLessThanOrEqual(2000 + 1000)
    await doc.stop()
  })

  it('is harmless when a crash lands between the snapshot rename and the log reset', async () => {
    const dir = newDir()
    const doc = await open(dir)
    doc.putService('web', serviceRecord('web'))
    doc.putService('web', serviceRecord('web', 2))
    doc.deleteService('web')
    doc.putNode('n1', nodeRecord('alpha'))
    const staleLog = readFileSync(logFile(dir))
    await doc.stop() // compacts: the snapshot now holds every logged update
    writeFileSync(logFile(dir), staleLog) // as if the log reset never reached the disk
    writeFileSync(`${snapshotFile(dir)}.tmp`, 'a half-written snapshot from another crash')
    const restarted = await open(dir)
    expect(restarted.services()).toEqual({})
    expect(restarted.nodes()).toEqual({ n1: nodeRecord('alpha') })
    await restarted.stop()
  })
})

describe('a damaged snapshot', () => {
  for (const [what, damage] of [
    ['garbage', (snapshot: Buffer) => Buffer.from('not a snapshot at all')],
    ['a cut', (snapshot: Buffer) => snapshot.subarray(0, snapshot.byteLength - 3)],
    ['a flipped byte', (snapshot: Buffer) => { const copy = Buffer.from(snapshot); copy[10] = (copy[10] ?? 0) ^ 1; return copy }],
    ['an empty file', () => Buffer.alloc(0)]
  ] as const) {
    it(`stops start() with an error naming the file (${what})`, async () => {
      const dir = newDir()
      const doc = await open(dir)
      doc.putService('web', serviceRecord('web'))
      await doc.stop()
      writeFileSync(snapshotFile(dir), damage(readFileSync(snapshotFile(dir))))
      const log = recordingLogger()
      const restarted = new ClusterDocument({ log, dataDir: dir })
      const err: unknown = await restarted.start().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(DocumentCorruptError)
      expect(err).toMatchObject({ file: snapshotFile(dir) })
      expect(String((err as Error).message)).toContain(snapshotFile(dir))
      expect(String((err as Error).message)).toContain(`meshd doctor --data-dir ${dir} --repair`)
      expect(log.errors).toHaveLength(1)
      expect(() => restarted.putService('api', serviceRecord('api'))).toThrow(/not started/)
    })
  }
})

describe('random writes, crashes and restarts', () => {
  it('always restart with every acknowledged write', async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const rng = prng(seed)
      let dir = newDir()
      let doc = await open(dir, recordingLogger(), 1 + rng.int(20))
      const model = new Map<string, ReturnType<typeof serviceRecord> | undefined>()
      for (let step = 0; step < 120; step++) {
        const name = `s${rng.int(6)}`
        const roll = rng.next()
        if (roll < 0.55) {
          const rec = serviceRecord(name, 1 + rng.int(3))
          doc.putService(name, rec)
          model.set(name, rec)
        } else if (roll < 0.75) {
          doc.deleteService(name)
          model.delete(name)
        } else if (roll < 0.95) {
          const image = await crash(doc, dir)
          if (rng.next() < 0.5) appendFileSync(logFile(image), Uint8Array.from({ length: 1 + rng.int(40) }, () => rng.int(256)))
          dir = image
          doc = await open(dir, recordingLogger(), 1 + rng.int(20))
        } else {
          await doc.stop()
          doc = await open(dir, recordingLogger(), 1 + rng.int(20))
        }
        expect(doc.services(), `seed ${seed} step ${step}`).toEqual(Object.fromEntries([...model].sort(([a], [b]) => a < b ? -1 : 1)))
      }
      await doc.stop()
    }
  })
})

describe('a failed append', () => {
  it('fails the write, keeps the document usable, and the next write repairs the files with a snapshot', async () => {
    const dir = newDir()
    const log = recordingLogger()
    const doc = await open(dir, log)
    doc.putService('a', serviceRecord('a'))
    // Reach into the store to swap its log fd for a read-only one: the closest thing
    // to a full or failing disk that a test can arrange without privileges.
    const store = (doc as unknown as { disk: { store: { fd: number } } }).disk.store
    const writable = store.fd
    store.fd = openSync(logFile(dir), 'r')
    expect(() => doc.putService('b', serviceRecord('b'))).toThrow()
    expect(log.errors).toHaveLength(1)
    expect(Object.keys(doc.services())).toEqual(['a', 'b'])

    closeSync(store.fd)
    store.fd = writable
    doc.putService('c', serviceRecord('c'))
    expect(existsSync(snapshotFile(dir))).toBe(true)
    const restarted = await open(await crash(doc, dir))
    expect(Object.keys(restarted.services())).toEqual(['a', 'b', 'c'])
    await restarted.stop()
  })
})
