// Secrets at rest: sealed with a data key of their own under the cluster's secrets key.

import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { openContent, sealContent, secretsKeyOf } from '../../../src/node/stored/index.ts'

describe('secret encryption', () => {
  const key = secretsKeyOf(randomBytes(32))
  const value = Buffer.from('correct horse battery staple')

  it('opens what it sealed, and nothing of the value or its base64 is in the sealed fields', () => {
    const sealed = sealContent(key, 'db-pass', 1, value)
    expect(openContent(key, { name: 'db-pass', version: 1, ...sealed }).equals(value)).toBe(true)
    const text = JSON.stringify(sealed)
    expect(text).not.toContain('horse')
    expect(text).not.toContain(value.toString('base64').slice(0, 12))
  })

  it('two seals of one value differ (a fresh data key and nonce each time)', () => {
    expect(sealContent(key, 'db-pass', 1, value).data).not.toBe(sealContent(key, 'db-pass', 1, value).data)
  })

  it('refuses another cluster\'s key, another name or version, and a changed byte', () => {
    const sealed = sealContent(key, 'db-pass', 2, value)
    expect(() => openContent(secretsKeyOf(randomBytes(32)), { name: 'db-pass', version: 2, ...sealed })).toThrow()
    expect(() => openContent(key, { name: 'api-key', version: 2, ...sealed })).toThrow()
    expect(() => openContent(key, { name: 'db-pass', version: 1, ...sealed })).toThrow()
    const data = Buffer.from(sealed.data, 'base64')
    data[0] = data[0]! ^ 1
    expect(() => openContent(key, { name: 'db-pass', version: 2, ...sealed, data: data.toString('base64') })).toThrow()
  })

  it('derives a key distinct from the cluster secret, the same on every node', () => {
    const secret = randomBytes(32)
    expect(secretsKeyOf(secret).equals(secretsKeyOf(Buffer.from(secret)))).toBe(true)
    expect(secretsKeyOf(secret).equals(secret)).toBe(false)
  })
})
