import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClusterDocument, DocumentQuotaError, StorageFullError } from '../../src/crdt/index.ts'
import type { ClusterDocumentInit } from '../../src/crdt/index.ts'
import { FREE_SPACE_MARGIN_BYTES } from '../../src/crdt/constants.ts'
import { nodeRecord, recordingLogger, serviceRecord } from './helpers.ts'

const dirs: string[] = []
afterEach(() => { for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true }) })

function newDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshd-crdt-storage-'))
  dirs.push(dir)
  return dir
}

async function open (dir: string, options: Omit<ClusterDocumentInit, 'log' | 'dataDir'> = {}): Promise<ClusterDocument> {
  const doc = new ClusterDocument({ log: recordingLogger(), dataDir: dir, ...options })
  await doc.start()
  return doc
}

// Updates a peer wrote, to apply on the document under test.
async function peerUpdates (write: (peer: ClusterDocument) => void): Promise<Uint8Array[]> {
  const peer = new ClusterDocument({ log: recordingLogger() })
  await peer.start()
  const updates: Uint8Array[] = []
  peer.on('update', update => { updates.push(update) })
  write(peer)
  return updates
}

describe('a full disk', () => {
  it('refuses a write before applying, persisting or announcing it', async () => {
    const dir = newDir()
    let free = 10 * FREE_SPACE_MARGIN_BYTES
    const doc = await open(dir, { freeBytes: () => free })
    doc.putService('a', serviceRecord('a'))
    const log = readFileSync(join(dir, 'document.log'))
    const events: string[] = []
    doc.on('update', () => events.push('update'))
    doc.on('change', () => events.push('change'))

    free = FREE_SPACE_MARGIN_BYTES - 1
    expect(() => { doc.putService('b', serviceRecord('b')) }).toThrow(StorageFullError)
    expect(() => { doc.deleteService('a') }).toThrow(StorageFullError)
    expect(() => {
      doc.transact(() => {
        doc.putNode('n1', nodeRecord('alpha'))
        doc.putService('c', serviceRecord('c'))
      })
    }).toThrow(/refused a write to the cluster document: .* free on the filesystem of/)
    expect(Object.keys(doc.services())).toEqual(['a'])
    expect(doc.nodes()).toEqual({})
    expect(events).toEqual([])
    expect(readFileSync(join(dir, 'document.log'))).toEqual(log)

    free = 10 * FREE_SPACE_MARGIN_BYTES
    doc.putService('b', serviceRecord('b'))
    expect(Object.keys(doc.services())).toEqual(['a', 'b'])
    await doc.stop()
  })

  it('still takes updates from peers', async () => {
    const updates = await peerUpdates(peer => { peer.putService('a', serviceRecord('a')) })
    const doc = await open(newDir(), { freeBytes: () => 0 })
    for (const update of updates) doc.applyUpdate(update, 'peer')
    expect(Object.keys(doc.services())).toEqual(['a'])
    await doc.stop()
  })

  it('turns an append that fails with ENOSPC into a StorageFullError, and does not announce the write', async () => {
    const dir = newDir()
    const doc = await open(dir)
    const store = (doc as unknown as { disk: { store: { append(update: Uint8Array): boolean } } }).disk.store
    const append = store.append.bind(store)
    store.append = () => { throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }) }
    const announced: Uint8Array[] = []
    doc.on('update', update => { announced.push(update) })

    const err: unknown = (() => { try { doc.putService('a', serviceRecord('a')) } catch (e) { return e } })()
    expect(err).toBeInstanceOf(StorageFullError)
    expect((err as StorageFullError).code).toBe('MESHD_STORAGE_FULL')
    expect(announced).toEqual([])

    // Once there is room, the next write's snapshot holds the one that missed the log.
    store.append = append
    doc.putService('b', serviceRecord('b'))
    await doc.stop()
    const restarted = await open(dir)
    expect(Object.keys(restarted.services())).toEqual(['a', 'b'])
    await restarted.stop()
  })

  it('treats a filesystem that cannot report its free space as not full', async () => {
    const log = recordingLogger()
    const doc = new ClusterDocument({ log, dataDir: newDir(), freeBytes: () => { throw new Error('ENOSYS') } })
    await doc.start()
    doc.putService('a', serviceRecord('a'))
    doc.putService('b', serviceRecord('b'))
    expect(log.warns).toHaveLength(1)
    await doc.stop()
  })
})

describe('the document quota', () => {
  it('refuses a write that would grow the document past it, before applying it', async () => {
    const doc = await open(newDir(), { quotaBytes: 2000 })
    const written: string[] = []
    let refused: unknown
    for (let i = 0; i < 20 && refused === undefined; i++) {
      try {
        doc.putService(`s${i}`, serviceRecord(`s${i}`))
        written.push(`s${i}`)
      } catch (err) {
        refused = err
      }
    }
    expect(refused).toBeInstanceOf(DocumentQuotaError)
    expect(refused).toMatchObject({ code: 'MESHD_DOCUMENT_QUOTA', quota: 2000 })
    expect(String((refused as Error).message)).toMatch(/would outgrow its quota: \d+ bytes \+ about \d+ bytes for this write > 2000 bytes; delete services/)
    expect(written.length).toBeGreaterThan(2)
    expect(Object.keys(doc.services()).sort()).toEqual(written.sort())

    // Deletes are never refused by the quota, and they make room again.
    for (const name of written.slice(0, -1)) doc.deleteService(name)
    doc.putService('again', serviceRecord('again'))
    await doc.stop()
  })

  it('counts the document, not the superseded updates in its log', async () => {
    // 40 rewrites of one record log far more than the quota; the state stays small.
    const doc = await open(newDir(), { quotaBytes: 3000, compactRecords: 1000 })
    for (let generation = 1; generation <= 40; generation++) doc.putService('web', serviceRecord('web', generation))
    expect(doc.service('web')?.generation).toBe(40)
    await doc.stop()
  })

  // A document of 60 services (~15 KB) in a snapshot, opened with `headroom` bytes of
  // quota left, and a count of its compactions.
  async function nearQuota (headroom: number): Promise<{ doc: ClusterDocument, compactions: () => number }> {
    const dir = newDir()
    const filler = await open(dir)
    for (let i = 0; i < 60; i++) filler.putService(`s${i}`, serviceRecord(`s${i}`))
    await filler.stop()
    const doc = await open(dir, { quotaBytes: readFileSync(join(dir, 'document.snapshot')).byteLength + headroom })
    const store = (doc as unknown as { disk: { store: { compact(state: Uint8Array): void } } }).disk.store
    const compact = store.compact.bind(store)
    let count = 0
    store.compact = (state) => { count += 1; compact(state) }
    return { doc, compactions: () => count }
  }

  it('measures the document by a compaction only once the log is worth it, not on every write near the quota', async () => {
    const { doc, compactions } = await nearQuota(1500)
    for (let generation = 2; generation < 42; generation++) doc.putService('s0', serviceRecord('s0', generation))
    expect(compactions()).toBeGreaterThan(0)
    expect(compactions()).toBeLessThanOrEqual(40 / 3)
    await doc.stop()
  })

  it('refuses near the quota, without compacting, until a delete here makes it measure again', async () => {
    // Less headroom than 1/16 of the document: the estimate refuses rewrites that would fit.
    const { doc, compactions } = await nearQuota(400)
    doc.putService('s0', serviceRecord('s0', 2))
    for (let generation = 3; generation < 10; generation++) {
      expect(() => { doc.putService('s0', serviceRecord('s0', generation)) }).toThrow(DocumentQuotaError)
    }
    expect(compactions()).toBe(0)
    doc.deleteService('s59')
    doc.putService('s0', serviceRecord('s0', 99))
    expect(compactions()).toBe(1)
    expect(doc.service('s0')?.generation).toBe(99)
    await doc.stop()
  })

  it('does not refuse peers’ updates', async () => {
    const updates = await peerUpdates(peer => { for (let i = 0; i < 10; i++) peer.putService(`s${i}`, serviceRecord(`s${i}`)) })
    const doc = await open(newDir(), { quotaBytes: 1000 })
    for (const update of updates) doc.applyUpdate(update, 'peer')
    expect(Object.keys(doc.services())).toHaveLength(10)
    expect(() => { doc.putService('mine', serviceRecord('mine')) }).toThrow(DocumentQuotaError)
    await doc.stop()
  })
})
