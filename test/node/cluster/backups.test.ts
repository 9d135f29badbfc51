// Volume backups as the cluster decides them: which slots are due, which member stores
// a slot's backups, and which backup a slot whose node is lost restores from.

import { describe, expect, it } from 'vitest'
import type { BackupEntry, VolumeHold } from '../../../src/crdt/index.ts'
import { assignmentOf, backupKey, backupTarget, backupsOf, dueBackups, latestBackup, placeCluster } from '../../../src/node/cluster/index.ts'
import { node, service, T0, view } from './helpers.ts'

const HOUR = 3_600_000
const db = (fields = {}) => service('db', { volumes: [{ source: 'data', target: '/data', onNodeLoss: 'restore' }, { source: 'wal', target: '/wal', onNodeLoss: 'restore' }], backup: { every: '1h', keep: 3 }, ...fields })
const hold = (epoch = 1): Record<string, VolumeHold> => ({ 'db#0': { service: 'db', slot: 0, epoch } })
const entry = (source: string, at: number): BackupEntry => ({ service: 'db', slot: 0, source, at, bytes: 10, sha256: '0'.repeat(64), from: 'a' })
const stored = (...entries: BackupEntry[]): Record<string, BackupEntry> => Object.fromEntries(entries.map((e) => [backupKey(e), e]))

describe('volume backups', () => {
  it('is due on the holder once the last backup, wherever stored, is older than every', () => {
    const fresh = view({ self: 'a', now: T0, nodes: { a: node('a', { holds: hold() }), b: node('b') }, services: [db()] })
    expect(dueBackups(fresh, new Set(['db#0']))).toEqual([{ service: 'db', slot: 0, key: 'db#0' }])
    expect(dueBackups(fresh, new Set())).toEqual([])
    const backedUp = view({ self: 'a', now: T0 + HOUR - 1, nodes: { a: node('a', { holds: hold() }), b: node('b', { backups: stored(entry('data', T0), entry('wal', T0)) }) }, services: [db()] })
    expect(dueBackups(backedUp, new Set(['db#0']))).toEqual([])
    expect(dueBackups({ ...backedUp, now: T0 + HOUR }, new Set(['db#0']))).toHaveLength(1)
  })

  it('stores a slot\'s backups on one other member, the same answer on every node, never a draining or dead one', () => {
    const nodes = Object.fromEntries(['a', 'b', 'c', 'd'].map((id) => [id, node(id)]))
    const target = backupTarget(view({ self: 'a', nodes }), 'db#0')
    expect(target).toBeDefined()
    expect(target).not.toBe('a')
    expect(backupTarget(view({ self: 'a', nodes, states: { [target!]: 'dead' } }), 'db#0')).not.toBe(target)
    expect(backupTarget(view({ self: 'a', nodes, drains: { [target!]: { draining: true, updatedAt: 0 } } }), 'db#0')).not.toBe(target)
    expect(backupTarget(view({ self: 'a', nodes: { a: node('a') } }), 'db#0')).toBeUndefined()
  })

  it('restores the newest backup holding every volume, on a member not dead', () => {
    const nodes = {
      a: node('a', { holds: hold(4) }),
      b: node('b', { backups: stored(entry('data', T0), entry('wal', T0), entry('data', T0 + 2 * HOUR)) }),
      c: node('c', { backups: stored(entry('data', T0 + HOUR), entry('wal', T0 + HOUR)) })
    }
    const v = view({ self: 'b', nodes, states: { a: 'dead' }, services: [db()] })
    expect(latestBackup(v, db().spec, 0)).toEqual({ nodeId: 'c', at: T0 + HOUR })
    expect(latestBackup({ ...v, states: { ...v.states, c: 'dead' } }, db().spec, 0)).toEqual({ nodeId: 'b', at: T0 })
    const owner = placeCluster(v).assignments.find((a) => a.key === 'db#0')?.node
    expect(owner).toBeDefined()
    expect(assignmentOf({ ...v, self: owner! }).desired[0]?.data).toEqual({ epoch: 5, from: 'c', backup: T0 + HOUR })
    expect(backupsOf(v, 'db').map((b) => b.at)).toEqual([T0 + 2 * HOUR, T0 + HOUR, T0 + HOUR, T0, T0])
  })

  it('waits for a lost holder with no backup to restore, and says so', () => {
    const v = view({ nodes: { a: node('a', { holds: hold() }), b: node('b'), c: node('c') }, states: { a: 'dead' }, self: 'b', services: [db()] })
    expect(placeCluster(v).unplaced).toEqual([expect.objectContaining({ key: 'db#0', reason: 'waiting for a, which holds its volume data (no backup of it to restore from)' })])
  })
})
