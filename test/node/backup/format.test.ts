// The backup file: canonical JSON with a checksum and a MAC under the cluster secret's
// backup key; any byte changed, a field changed with its checksum recomputed, or another
// cluster's key → refused with MESHD_BACKUP_INVALID.

import { createHash, createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from '../../../src/crdt/index.ts'
import type { Plain } from '../../../src/crdt/index.ts'
import { BACKUP_FORMAT, backupKeyOf, backupText, backupTextProblem, createBackup, openBackup } from '../../../src/node/backup/index.ts'
import type { BackupFile } from '../../../src/node/backup/index.ts'
import { generateSecret } from '../../../src/gossip/index.ts'
import { MeshdError } from '../../../src/node/errors.ts'
import { secretsKeyOf } from '../../../src/node/stored/index.ts'
import { refusal } from '../../support/refusal.ts'
import { member, populate, recordsOf } from './fixtures.ts'

const secret = generateSecret()
const key = backupKeyOf(secret)

async function backup (): Promise<BackupFile> {
  const { document } = await member()
  populate(document, secretsKeyOf(secret))
  return createBackup(recordsOf(document), key, { createdAt: Date.UTC(2026, 0, 2), cluster: 'ab'.repeat(16), node: 'node-1' })
}

/** Why a file's text is refused, by the client's check or the API's; undefined when accepted. */
function refusedText (text: string, withKey = key): string | undefined {
  const problem = backupTextProblem(text)
  if (problem !== undefined) return problem
  try {
    openBackup(JSON.parse(text), withKey)
    return undefined
  } catch (err) {
    if (err instanceof MeshdError && err.code === 'MESHD_BACKUP_INVALID') return err.message
    throw err
  }
}

describe('the cluster backup file', () => {
  it('holds the format, the time, the cluster, the records without seals, and opens with the same key', async () => {
    const file = await backup()
    expect(file).toMatchObject({ format: BACKUP_FORMAT, createdAt: '2026-01-02T00:00:00.000Z', cluster: 'ab'.repeat(16), node: 'node-1' })
    expect(Object.keys(file.records.services)).toEqual(['web'])
    expect(Object.keys(file.records.secrets)).toEqual(['db-pass@1'])
    expect(file.records.services.web).toMatchObject({ generation: 2, previous: { generation: 1 }, addressIndex: 0 })
    for (const record of [file.records.services.web, file.records.secrets['db-pass@1'], file.records.tokens.ops]) {
      expect(record).not.toHaveProperty('by')
      expect(record).not.toHaveProperty('sig')
    }
    const text = backupText(file)
    expect(refusedText(text)).toBeUndefined()
    const { sha256: _s, mac: _m, ...content } = file
    expect(openBackup(JSON.parse(text), key)).toEqual(content)
    expect(file.sha256).toBe(createHash('sha256').update(canonicalJson(content as unknown as Plain)).digest('hex'))
  })

  it('holds the alert rules; a file written before they were backed up opens with none', async () => {
    const file = await backup()
    expect(file.records.alerts['web-down']).toMatchObject({ when: 'service.healthy < service.desired service=web', for: '30s' })
    // The same file as an earlier meshd wrote it: no alerts among the records, signed as it is.
    const { sha256: _s, mac: _m, records: { alerts: _a, ...records }, ...envelope } = file
    const text = canonicalJson({ ...envelope, records } as unknown as Plain)
    const sha256 = createHash('sha256').update(text).digest('hex')
    const mac = createHmac('sha256', key).update(`${BACKUP_FORMAT}\n`).update(text).digest('hex')
    const older = openBackup({ ...envelope, records, sha256, mac }, key)
    expect(older.records.alerts).toEqual({})
    expect(Object.keys(older.records.services)).toEqual(['web'])
  })

  it('keeps a secret exactly as stored: encrypted, the value nowhere in the file', async () => {
    const { document } = await member()
    const value = `value-${randomBytes(8).toString('hex')}`
    const { createStored } = await import('../../../src/node/api/stored.ts')
    createStored(document, 'secret', 'api-key', Buffer.from(value), { secretsKey: secretsKeyOf(secret) })
    const file = createBackup(recordsOf(document), key, { createdAt: 0, node: 'n' })
    const { by: _b, sig: _s, ...stored } = document.secrets()['api-key@1']!
    expect(file.records.secrets['api-key@1']).toEqual(stored)
    const text = backupText(file)
    expect(text).not.toContain(value)
    expect(text).not.toContain(Buffer.from(value).toString('base64'))
  })

  it('refuses the file with any one byte changed', async () => {
    const text = backupText(await backup())
    let refused = 0
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i)
      // Another printable character (or, for the final newline, a space).
      const changed = `${text.slice(0, i)}${String.fromCharCode(code === 10 ? 32 : code === 126 ? 33 : code + 1)}${text.slice(i + 1)}`
      const reason = refusedText(changed)
      expect(reason, `byte ${i} (${JSON.stringify(text[i])}) changed`).toBeDefined()
      refused++
    }
    expect(refused).toBe(text.length)
    console.log(`backup tamper: ${refused} of ${text.length} one-byte changes refused`)
  })

  it('refuses a changed field whose checksum was recomputed: the signature does not match', async () => {
    const file = await backup()
    const forged = structuredClone(file)
    forged.records.tokens.ops!.role = 'admin'
    forged.records.tokens.ops!.hash = 'f'.repeat(64)
    const { sha256: _s, mac: _m, ...content } = forged
    forged.sha256 = createHash('sha256').update(canonicalJson(content as unknown as Plain)).digest('hex')
    expect(backupTextProblem(backupText(forged))).toBeUndefined()
    expect(refusal(() => openBackup(forged, key))).toEqual({
      code: 'MESHD_BACKUP_INVALID', path: 'mac', message: expect.stringContaining('the backup\'s signature does not match: it was changed, or it belongs to another cluster')
    })
  })

  it('refuses a file of another cluster (another cluster secret)', async () => {
    const file = await backup()
    expect(refusal(() => openBackup(file, backupKeyOf(generateSecret())))).toMatchObject({ code: 'MESHD_BACKUP_INVALID', path: 'mac' })
    // The backup key is not the secrets key of the same secret.
    expect(refusal(() => openBackup(file, secretsKeyOf(secret)))).toMatchObject({ path: 'mac' })
  })

  it('tells a damaged file (checksum) from a forged one (signature)', async () => {
    const file = await backup()
    const damaged = { ...file, node: 'node-2' }
    expect(refusal(() => openBackup(damaged, key))).toMatchObject({ path: 'sha256', message: expect.stringContaining('checksum does not match') })
  })

  it('refuses what is not a backup, naming the field', async () => {
    const file = await backup()
    expect(refusal(() => openBackup([], key))).toMatchObject({ code: 'MESHD_BACKUP_INVALID', path: 'body' })
    expect(refusal(() => openBackup({ ...file, format: 'meshd-cluster-backup/2' }, key))).toMatchObject({ path: 'format' })
    expect(refusal(() => openBackup({ ...file, extra: 1 }, key))).toMatchObject({ path: 'extra' })
    expect(refusal(() => openBackup({ ...file, mac: 'xyz' }, key))).toMatchObject({ path: 'mac', message: 'mac: expected 64 hex digits' })
    expect(refusal(() => openBackup({ ...file, records: { ...file.records, nodes: {} } }, key))).toMatchObject({ path: 'records.nodes' })
    expect(refusal(() => openBackup({ ...file, records: { ...file.records, secrets: [] } }, key))).toMatchObject({ path: 'records.secrets' })
    expect(backupTextProblem('{"format":"x"}')).toContain('not a meshd cluster backup')
    expect(backupTextProblem('not json')).toContain('not JSON')
    expect(backupTextProblem(JSON.stringify(file, null, 2))).toContain('was edited')
  })
})
