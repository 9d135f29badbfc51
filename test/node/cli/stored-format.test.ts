// What `meshd secret|config` print for people: the list, the inspect block, and which
// services an update rolls.

import { describe, expect, it } from 'vitest'
import type { StoredView } from '../../../src/node/api/index.ts'
import { describeStored, runningText, storedTable, updateText, usersText } from '../../../src/node/cli/stored-format.ts'

const NOW = Date.parse('2026-12-03T05:00:00Z')
const dbPass: StoredView = {
  name: 'db-pass',
  version: 3,
  versions: [1, 3],
  createdAt: NOW - 3 * 3600_000,
  updatedAt: NOW - 10_000,
  size: 32,
  usedBy: [
    { service: 'api', pinned: false, version: 3, running: { 1: 1, 3: 2 }, outdated: 1 },
    { service: 'worker', pinned: true, version: 1, running: { 1: 2 }, outdated: 2 }
  ]
}
const tls: StoredView = { name: 'tls-key', version: 1, versions: [1], createdAt: NOW - 600_000, updatedAt: NOW - 600_000, size: 3300, usedBy: [] }

describe('the ls table', () => {
  it('shows name, version, size, users (a pinned one with its version) and age', () => {
    expect(storedTable([dbPass, tls], NOW)).toBe(
      'NAME      VERSION   SIZE      USED BY        UPDATED\n' +
      'db-pass   3         32 B      api,worker@1   10s\n' +
      'tls-key   1         3.2 KiB   -              10m\n')
  })

  it('is its headers alone when there is nothing', () => {
    expect(storedTable([], NOW)).toBe('NAME   VERSION   SIZE   USED BY   UPDATED\n')
  })
})

describe('the inspect block', () => {
  it('shows the metadata and, per service, what it refers to and what its replicas run', () => {
    expect(describeStored('secret', dbPass, NOW)).toBe([
      'Name:      db-pass',
      'Kind:      secret',
      'Version:   3 (kept: 1, 3)',
      'Size:      32 B',
      'Created:   2026-12-03T02:00:00.000Z (3h ago)',
      'Updated:   2026-12-03T04:59:50.000Z (10s ago)',
      'Used by:   2 services',
      '  SERVICE   REFERS TO            RUNNING        OUTDATED',
      '  api       latest (3)           v3: 2, v1: 1   1',
      '  worker    version 1 (pinned)   v1: 2          2',
      ''
    ].join('\n'))
  })

  it('says when no service uses it', () => {
    expect(describeStored('config', tls, NOW)).toContain('Kind:      config\n')
    expect(describeStored('config', tls, NOW)).toMatch(/Used by: {3}no service\n$/)
  })

  it('has no line for a value: a view has none, and a config\'s content is not shown even when the view has it', () => {
    const withData = { ...tls, data: Buffer.from('do-not-print').toString('base64') }
    expect(describeStored('config', withData, NOW)).not.toContain(withData.data)
  })
})

describe('parts of lines', () => {
  it('lists users and running versions, or "-"', () => {
    expect(usersText([])).toBe('-')
    expect(runningText({})).toBe('-')
    expect(runningText({ 2: 1, 10: 3 })).toBe('v10: 3, v2: 1')
  })
})

describe('what update says', () => {
  it('names the services that roll and those pinned to another version', () => {
    expect(updateText(dbPass)).toBe('db-pass: updated, version 3\nrolling to version 3: api\npinned, not rolled: worker@1\n')
  })

  it('says when nothing rolls', () => {
    expect(updateText(tls)).toBe('tls-key: updated, version 1\nno service uses it\n')
    const pinnedOnly = { ...dbPass, usedBy: dbPass.usedBy.filter((u) => u.pinned) }
    expect(updateText(pinnedOnly)).toBe('db-pass: updated, version 3\nno service rolls\npinned, not rolled: worker@1\n')
  })
})
