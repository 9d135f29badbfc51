// The ACME flags of `meshd start`: checked before anything starts, each refusal naming its flag.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseDaemonConfig } from '../../src/node/config.ts'

const dir = mkdtempSync(join(tmpdir(), 'meshd-acme-flags-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })
const base = { name: 'n1', dataDir: dir }

describe('the ACME flags', () => {
  it('are off without --acme-directory', () => {
    expect(parseDaemonConfig(base).acme).toBeUndefined()
  })

  it('take an https directory, an email and a CA file', () => {
    const ca = join(dir, 'ca.pem')
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')
    expect(parseDaemonConfig({ ...base, acmeDirectory: 'https://127.0.0.1:14000/dir', acmeEmail: 'ops@example.com', acmeCaFile: ca }).acme)
      .toEqual({ directory: 'https://127.0.0.1:14000/dir', email: 'ops@example.com', ca: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' })
  })

  it('refuse what is not one, naming the flag', () => {
    expect(() => parseDaemonConfig({ ...base, acmeDirectory: 'http://ca.example/dir' })).toThrow(/^--acme-directory: /)
    expect(() => parseDaemonConfig({ ...base, acmeDirectory: 'not a url' })).toThrow(/^--acme-directory: /)
    expect(() => parseDaemonConfig({ ...base, acmeDirectory: 'https://ca.example/dir', acmeEmail: 'nobody' })).toThrow(/^--acme-email: /)
    expect(() => parseDaemonConfig({ ...base, acmeDirectory: 'https://ca.example/dir', acmeCaFile: join(dir, 'missing.pem') })).toThrow(/^--acme-ca-file: cannot read /)
    const notPem = join(dir, 'not.pem')
    writeFileSync(notPem, 'hello')
    expect(() => parseDaemonConfig({ ...base, acmeDirectory: 'https://ca.example/dir', acmeCaFile: notPem })).toThrow(/^--acme-ca-file: .* holds no PEM certificate/)
    expect(() => parseDaemonConfig({ ...base, acmeEmail: 'ops@example.com' })).toThrow(/need --acme-directory/)
  })
})
