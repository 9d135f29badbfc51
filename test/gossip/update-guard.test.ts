// The update guard: everything Yjs writes passes with the right count, crafted
// run-length bombs and corrupted updates are refused fast and never hang.

import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { PeerFault } from '../../src/gossip/fault.ts'
import { inspectUpdate } from '../../src/gossip/update-guard.ts'
import { prng } from '../support/prng.ts'
import { column, gcBomb } from './crafted.ts'

function everyContentKind (): Y.Doc {
  const doc = new Y.Doc()
  const map = doc.getMap('services')
  map.set('web', { spec: { name: 'web', replicas: 3, env: { A: 'b' } }, generation: 1 })
  map.set('web', { spec: { name: 'web', replicas: 4 }, generation: 2 }) // a tombstone
  const array = doc.getArray<unknown>('replicas/n1')
  array.push([1, 'two', null, true, { three: [3] }, new Uint8Array([4, 5])])
  array.delete(1, 2)
  const text = doc.getText('notes')
  text.insert(0, 'hello world', { bold: true })
  text.insertEmbed(5, { image: 'x.png' })
  text.format(0, 3, { italic: true })
  const xml = doc.getXmlFragment('xml')
  const element = new Y.XmlElement('p')
  element.setAttribute('class', 'c')
  element.insert(0, [new Y.XmlText('hi')])
  xml.insert(0, [element])
  map.set('hook', new Y.XmlHook('hook'))
  map.set('nested', new Y.Map([['k', 'v']]))
  map.set('sub', new Y.Doc({ guid: 'sub-doc' }))
  return doc
}

function structCount (update: Uint8Array): number {
  const { structs, ds } = Y.decodeUpdateV2(update)
  let deletes = 0
  for (const ranges of ds.clients.values()) deletes += ranges.length + 1
  return structs.length + deletes
}

describe('inspectUpdate', () => {
  it('passes every kind of content Yjs writes, counting at least its structs and delete ranges', () => {
    const doc = everyContentKind()
    const state = Y.encodeStateAsUpdateV2(doc)
    expect(inspectUpdate(state)).toBeGreaterThanOrEqual(structCount(state))
    // Merging updates with a gap between them (the second write is missing) writes a Skip struct.
    const writer = new Y.Doc()
    const writes: Uint8Array[] = []
    writer.on('updateV2', (update: Uint8Array) => { writes.push(update) })
    for (const n of [1, 2, 3]) writer.getArray('replicas/n2').push([n])
    const gappy = Y.mergeUpdatesV2([state, writes[0] as Uint8Array, writes[2] as Uint8Array])
    expect(Y.decodeUpdateV2(gappy).structs.some(struct => struct instanceof Y.Skip)).toBe(true)
    expect(inspectUpdate(gappy)).toBeGreaterThanOrEqual(structCount(gappy))
    // The empty update and every single write.
    expect(inspectUpdate(Y.encodeStateAsUpdateV2(new Y.Doc()))).toBe(0)
    const live = new Y.Doc()
    Y.applyUpdateV2(live, state)
    writes.length = 0
    live.on('updateV2', (update: Uint8Array) => { writes.push(update) })
    live.getMap('services').delete('web')
    live.getText('notes').delete(0, 4)
    expect(writes).toHaveLength(2)
    for (const write of writes) expect(inspectUpdate(write)).toBeGreaterThan(0)
  })

  it('refuses a 24-byte run-length bomb within a millisecond or so, before Yjs sees it', () => {
    const bomb = gcBomb(100_000_000)
    expect(bomb.byteLength).toBeLessThan(30)
    const start = performance.now()
    const refused = (() => { try { inspectUpdate(bomb); return undefined } catch (err) { return err } })()
    const ms = performance.now() - start
    expect(refused).toBeInstanceOf(PeerFault)
    expect((refused as PeerFault).reason).toBe('malformed')
    expect((refused as Error).message).toMatch(/more than 4\d{3} elements/)
    // A bound that only a hang would cross (the walk stops after ~4k elements, ~0.3 ms).
    expect(ms).toBeLessThan(2000)
    // Small bombs within the budget are well-formed: Yjs applies them quickly.
    expect(inspectUpdate(gcBomb(1000))).toBe(1001)
  })

  it('refuses oversize updates, trailing bytes, unknown content and a client deleted from twice', () => {
    const state = Y.encodeStateAsUpdateV2(everyContentKind())
    expect(() => inspectUpdate(state, { maxBytes: 100, maxElements: 1e6, elementsPerByte: 8, elementSlack: 0 })).toThrow(expect.objectContaining({ reason: 'oversize' }))
    expect(() => inspectUpdate(Uint8Array.of(...state, 0))).toThrow(/trailing bytes/)
    expect(() => inspectUpdate(new Uint8Array(0))).toThrow(expect.objectContaining({ reason: 'malformed' }))
    // One Item whose content ref is 11 (no such content).
    const unknown = Uint8Array.from([0, ...column([]), ...column([1]), ...column([]), ...column([]), ...column([11]), ...column([1, 97, 0]), ...column([1]), ...column([]), ...column([]), 1, 1, 0, 0])
    expect(() => inspectUpdate(unknown)).toThrow(/unknown content ref 11/)
    // The delete set names client 7 twice.
    const empty = [0, ...column([]), ...column([]), ...column([]), ...column([]), ...column([]), ...column([0, 0]), ...column([]), ...column([]), ...column([])]
    expect(inspectUpdate(Uint8Array.from([...empty, 0, 1, 7, 1, 0, 0]))).toBe(2)
    expect(() => inspectUpdate(Uint8Array.from([...empty, 0, 2, 7, 1, 0, 0, 7, 1, 0, 0]))).toThrow(/client 7 twice/)
  })

  it('reads only its own bytes when the update is a view into a larger buffer', () => {
    const state = Y.encodeStateAsUpdateV2(everyContentKind())
    const shared = new Uint8Array(state.byteLength + 100)
    shared.set(state, 50)
    expect(inspectUpdate(shared.subarray(50, 50 + state.byteLength))).toBe(inspectUpdate(state))
  })

  it('never hangs on corrupted updates, and whatever it passes Yjs applies quickly', () => {
    const { next: random } = prng(11)
    const base = Y.encodeStateAsUpdateV2(everyContentKind())
    let passed = 0
    for (let round = 0; round < 600; round++) {
      const bytes = Uint8Array.from(base)
      const flips = 1 + Math.floor(random() * 4)
      for (let f = 0; f < flips; f++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256)
      const update = random() < 0.2 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes
      const start = performance.now()
      let ok = false
      try { inspectUpdate(update); ok = true } catch (err) { expect(err).toBeInstanceOf(PeerFault) }
      if (ok) {
        passed += 1
        try { Y.applyUpdateV2(new Y.Doc(), update) } catch {} // may still be nonsense, but bounded
      }
      expect(performance.now() - start).toBeLessThan(5000) // only a hang crosses it
    }
    expect(passed).toBeGreaterThan(0)
  })
})
