// meshd_document_bytes: measured again after a write, or once the measure is old; not
// at every scrape of an unchanged document.

import { describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import { constants, documentSize } from '../../../src/node/metrics/index.ts'
import { silent } from '../../support/logger.ts'

describe('documentSize', () => {
  it('follows writes, reuses the measure of an unchanged document, and measures an old one again', () => {
    const document = new ClusterDocument({ log: silent })
    let encoded = 0
    const counted = { encodeStateVector: () => document.encodeStateVector(), encodeState: () => { encoded++; return document.encodeState() } }
    let now = 0
    const size = documentSize(counted, () => now)
    const empty = size()
    expect(size()).toBe(empty)
    expect(encoded).toBe(1)
    document.putDrain('n1', { draining: true, updatedAt: 1 })
    expect(size()).toBe(document.encodeState().byteLength)
    expect(size()).toBeGreaterThan(empty)
    expect(encoded).toBe(2)
    now += constants.DOCUMENT_SIZE_MAX_AGE_MS
    size()
    expect(encoded).toBe(3)
  })
})
