// The audit log: JSON lines, mode 0600, rotated with a fixed number of files kept.

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { AuditLog } from '../../../src/node/auth/index.ts'
import type { AuditEntry } from '../../../src/node/auth/index.ts'
import { silent } from '../../support/logger.ts'

const entry = (i: number): AuditEntry => ({ time: `t${i}`, token: 'ci', role: 'deployer', method: 'PUT', path: `/v1/services/s${i}`, status: 200, client: '127.0.0.1' })

describe('AuditLog', () => {
  const dirs: string[] = []
  afterEach(() => { for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true }) })

  it('appends lines readable from the tail, in a 0600 file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshd-audit-'))
    dirs.push(dir)
    const audit = new AuditLog(dir, silent)
    audit.start()
    for (let i = 0; i < 5; i++) audit.append(entry(i))
    audit.stop()
    expect(statSync(join(dir, 'audit.log')).mode & 0o777).toBe(0o600)
    expect(audit.tail(2).map((e) => e.path)).toEqual(['/v1/services/s3', '/v1/services/s4'])
  })

  it('rotates at its size limit and keeps three files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshd-audit-'))
    dirs.push(dir)
    const audit = new AuditLog(dir, silent, 1000)
    audit.start()
    for (let i = 0; i < 100; i++) audit.append(entry(i))
    audit.stop()
    expect(readdirSync(dir).sort()).toEqual(['audit.log', 'audit.log.1', 'audit.log.2'])
    for (const file of readdirSync(dir)) expect(statSync(join(dir, file)).size).toBeLessThanOrEqual(1000)
    expect(audit.tail(1)[0]?.path).toBe('/v1/services/s99')
  })
})
