// A restore: the records of a backup checked as peers' records are, written in one
// transaction as the restoring member's own (sealed by it, content and generations kept),
// and only into a cluster that holds none of them.

import { describe, expect, it } from 'vitest'
import { unsealed } from '../../../src/crdt/index.ts'
import type { Plain } from '../../../src/crdt/index.ts'
import { TokenIndex } from '../../../src/node/auth/index.ts'
import { assertRestorable, backupKeyOf, checkRecords, createBackup, openBackup, restoreRecords } from '../../../src/node/backup/index.ts'
import type { ClusterRecords } from '../../../src/node/backup/index.ts'
import { generateSecret } from '../../../src/gossip/index.ts'
import { openContent, replicaFiles, secretsKeyOf } from '../../../src/node/stored/index.ts'
import { screen, SealChecker } from '../../../src/node/trust/index.ts'
import { refusal } from '../../support/refusal.ts'
import { member, populate, recordsOf, TOKEN } from './fixtures.ts'

const secret = generateSecret()
const secretsKey = secretsKeyOf(secret)
const key = backupKeyOf(secret)

/** The records of a backup of a populated document, as a restore reads them. */
async function backedUp (): Promise<ClusterRecords> {
  const old = await member()
  populate(old.document, secretsKey)
  return openBackup(createBackup(recordsOf(old.document), key, { createdAt: 0, node: 'old-1' }), key).records
}

const plain = (records: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(records).map(([k, r]) => [k, unsealed(r as { [key: string]: Plain })]))

describe('restoring a cluster backup', () => {
  it('writes every record in one transaction, sealed by this member, content and generations kept', async () => {
    const records = await backedUp()
    const fresh = await member()
    fresh.document.putNode(fresh.id, { name: 'fresh', host: '127.0.0.1', apiPort: 7700, p2pPort: 7701, labels: {}, draining: false, startedAt: 1 })
    let changes = 0
    fresh.document.on('change', () => { changes++ })
    const summary = restoreRecords(fresh.document, checkRecords(records))
    expect(changes).toBe(1)
    expect(summary).toEqual({ services: ['web'], secrets: ['db-pass@1'], configs: ['site@1'], tokens: ['ops'], alerts: ['web-down'] })
    const now = recordsOf(fresh.document)
    for (const kind of ['services', 'secrets', 'configs', 'tokens', 'alerts'] as const) {
      expect(plain(now[kind]), kind).toEqual(records[kind])
      for (const record of Object.values(now[kind])) expect(record.by).toBe(fresh.id)
    }
    expect(now.services.web).toMatchObject({ generation: 2, previous: { generation: 1 }, addressIndex: 0 })
    // Every member believes them: the same screen as peers' records.
    const screened = screen(fresh.document.snapshot(), fresh.document.tokens(), new SealChecker(), { secrets: fresh.document.secrets(), configs: fresh.document.configs() })
    expect(screened.problems).toEqual([])
    expect(Object.keys(screened.snapshot.services)).toEqual(['web'])
    // The old token works again, and a replica's files open with the same cluster secret.
    const tokens = new TokenIndex(fresh.document)
    expect(tokens.authenticate(`Bearer ${TOKEN}`, Date.now())).toEqual({ principal: { name: 'ops', role: 'admin' } })
    const files = replicaFiles(now.services.web!.spec, { secrets: screened.secrets, configs: screened.configs }, secretsKey)
    expect(files.map((f) => f.path)).toEqual(['/run/secrets/db-pass', '/www/index.html'])
    expect(openContent(secretsKey, now.secrets['db-pass@1']!).toString()).toMatch(/^pass-/)
  })

  it('refuses a cluster that already has services, secrets, configs or a token of the same name, naming them; nothing changes', async () => {
    const records = await backedUp()
    const taken = await member()
    populate(taken.document, secretsKey)
    const before = taken.document.encodeState()
    const refused = refusal(() => { assertRestorable(taken.document, checkRecords(records)) })
    expect(refused).toMatchObject({ code: 'MESHD_CLUSTER_NOT_EMPTY', path: 'cluster' })
    expect(refused.message).toContain('services "web"; secrets "db-pass"; configs "site"; tokens "ops"')
    expect(refused.message).toContain('`meshd service rm NAME`')
    expect(taken.document.encodeState()).toEqual(before)

    // Its own admin token under another name does not stand in the way.
    const fresh = await member()
    fresh.document.putToken('fresh-admin-1234', { hash: 'a'.repeat(64), role: 'admin', createdAt: 1, createdBy: 'node fresh' })
    expect(() => { assertRestorable(fresh.document, records) }).not.toThrow()
  })

  it('refuses a service published on a port a member of this cluster uses itself', async () => {
    const records = await backedUp()
    const fresh = await member()
    fresh.document.putNode(fresh.id, { name: 'fresh', host: '127.0.0.1', apiPort: 18080, p2pPort: 7701, labels: {}, draining: false, startedAt: 1 })
    expect(refusal(() => { assertRestorable(fresh.document, records) })).toMatchObject({
      code: 'MESHD_PORT_CONFLICT', path: 'records.services.web.spec.ports[0].published', message: expect.stringContaining('the API port of node fresh')
    })
  })

  it('keeps the stack that created a secret or config, and refuses one that is not a DNS label', async () => {
    const records = await backedUp()
    records.secrets['db-pass@1']!.stack = 'shop'
    records.configs['site@1']!.stack = 'shop'
    expect(checkRecords(records).secrets['db-pass@1']).toMatchObject({ stack: 'shop' })
    records.configs['site@1']!.stack = 'Shop!'
    expect(refusal(() => checkRecords(records))).toMatchObject({ code: 'MESHD_BACKUP_INVALID', path: 'records.configs.site@1', message: expect.stringContaining('stack') })
  })

  it('refuses a record a peer\'s would be refused for, naming it', async () => {
    const records = await backedUp()
    const cases: Array<[(r: ClusterRecords) => void, string, string]> = [
      [(r) => { (r.services.web!.spec as { replicas: unknown }).replicas = -1 }, 'records.services.web', 'replicas'],
      [(r) => { r.services.api = r.services.web! }, 'records.services.api', 'name'],
      [(r) => { r.services.web!.generation = 0 }, 'records.services.web', 'generation'],
      [(r) => { (r.services.web as unknown as Record<string, unknown>).extra = 1 }, 'records.services.web.extra', 'unknown field'],
      [(r) => { r.tokens.ops!.hash = 'not-a-hash' }, 'records.tokens.ops', 'hash'],
      [(r) => { r.tokens['Bad Name'] = r.tokens.ops! }, 'records.tokens.Bad Name', 'DNS label'],
      [(r) => { r.secrets['db-pass@2'] = r.secrets['db-pass@1']! }, 'records.secrets.db-pass@2', 'another name or version'],
      [(r) => { r.configs = {} }, 'records.services.web.spec.configs[0]', 'config site@1'],
      [(r) => { r.secrets['db-pass@1']!.data = '!!' }, 'records.secrets.db-pass@1', 'data']
    ]
    for (const [change, path, says] of cases) {
      const copy = structuredClone(records)
      change(copy)
      expect(refusal(() => checkRecords(copy)), path).toMatchObject({ code: 'MESHD_BACKUP_INVALID', path, message: expect.stringContaining(says) })
    }
  })
})
