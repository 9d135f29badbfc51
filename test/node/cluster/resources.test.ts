// The transfer resources of a slot's volume data: one naming, strict parsing.

import { describe, expect, it } from 'vitest'
import { parseSlotResource, slotResource } from '../../../src/node/cluster/index.ts'

describe('slot resources', () => {
  it('names and parses every kind the same way', () => {
    expect(slotResource({ kind: 'volume', service: 'db', slot: 0, source: 'data' })).toBe('volume/db/0/data')
    expect(slotResource({ kind: 'backup', service: 'db', slot: 2, source: 'data', at: 1700 })).toBe('backup/db/2/data/1700')
    for (const kind of ['volume', 'snapshot', 'restore'] as const) {
      expect(parseSlotResource(slotResource({ kind, service: 'db', slot: 3, source: 'wal' }), kind)).toEqual({ kind, service: 'db', slot: 3, source: 'wal' })
    }
    expect(parseSlotResource('backup/db/2/data/1700', 'backup')).toEqual({ kind: 'backup', service: 'db', slot: 2, source: 'data', at: 1700 })
  })

  it('refuses another kind, a missing or extra time, and anything that is not a name', () => {
    for (const [name, kind] of [
      ['volume/db/0/data', 'restore'], ['backup/db/0/data', 'backup'], ['volume/db/0/data/5', 'volume'],
      ['volume/../0/data', 'volume'], ['volume/db/x/data', 'volume'], ['volume/DB/0/data', 'volume'], ['volume/db/0/', 'volume']
    ] as const) expect(parseSlotResource(name, kind), name).toBeUndefined()
  })
})
