// Tokens: only hashes in the document, looked up by hash, refused once revoked or expired.

import { describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import { generateToken, hashToken, TokenIndex } from '../../../src/node/auth/index.ts'
import { silent } from '../../support/logger.ts'

describe('TokenIndex', () => {
  const document = new ClusterDocument({ log: silent })
  const index = new TokenIndex(document)
  index.start()
  const token = generateToken()
  document.putToken('ci', { hash: hashToken(token), role: 'deployer', services: ['web*'], expiresAt: 2000, createdAt: 0, createdBy: 'admin' })

  it('makes 256-bit tokens and keeps only their SHA-256', () => {
    expect(token).toMatch(/^meshd_[A-Za-z0-9_-]{43}$/)
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/)
    expect(JSON.stringify(document.tokens())).not.toContain(token)
  })

  it('knows a token by its hash until it expires', () => {
    expect(index.authenticate(`Bearer ${token}`, 1000)).toEqual({ principal: { name: 'ci', role: 'deployer', services: ['web*'] } })
    expect(index.authenticate(`Bearer ${token}`, 2000)).toMatchObject({ refused: expect.stringContaining('expired') })
  })

  it('refuses a missing, malformed or unknown token, and a revoked one at once', () => {
    expect(index.authenticate(undefined, 0)).toMatchObject({ refused: expect.stringContaining('required') })
    expect(index.authenticate('Basic abc', 0)).toMatchObject({ refused: expect.stringContaining('Bearer') })
    expect(index.authenticate(`Bearer ${generateToken()}`, 0)).toMatchObject({ refused: expect.stringContaining('unknown') })
    document.deleteToken('ci')
    expect(index.authenticate(`Bearer ${token}`, 1000)).toMatchObject({ refused: expect.stringContaining('revoked') })
  })
})
