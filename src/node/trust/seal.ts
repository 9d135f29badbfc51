// Seals made and checked with the members' own libp2p keys (Ed25519), through Node's
// crypto so both are synchronous: signing ≈ 40 µs; checking ≈ 60–240 µs, done once per
// signature (a cache remembers verdicts), so a view built again costs a map lookup.

import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { sealedText, unsealed } from '../../crdt/index.ts'
import type { RecordSeal } from '../../crdt/index.ts'
import { SEAL_CACHE_ENTRIES } from './constants.ts'

type Plain = Parameters<RecordSeal['seal']>[2]

/** Seals this node's writes with its key. */
export function nodeSeal (id: string, privateKey: PrivateKey): RecordSeal {
  if (privateKey.type !== 'Ed25519') throw new Error(`node key: expected Ed25519, got ${privateKey.type}`)
  const raw = privateKey.raw
  const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64url(raw.subarray(0, 32)), x: b64url(raw.subarray(32, 64)) }, format: 'jwk' })
  return {
    seal: (scope, recordKey, content) => ({ by: id, sig: sign(null, Buffer.from(sealedText(scope, recordKey, id, content)), key).toString('base64') })
  }
}

/** Checks seals against the writers' public keys (their peer ids), remembering verdicts. */
export class SealChecker {
  private readonly keys = new Map<string, KeyObject | null>()
  private readonly verdicts = new Map<string, boolean>()

  /** True when `record` at (scope, key) carries a valid seal by `expectedBy` (any writer when undefined). */
  check (scope: string, key: string, record: Plain, expectedBy?: string): boolean {
    const { by, sig } = record
    if (typeof by !== 'string' || typeof sig !== 'string') return false
    if (expectedBy !== undefined && by !== expectedBy) return false
    const text = sealedText(scope, key, by, unsealed(record))
    // The verdict is for this signature over this exact text: a copied signature on other content misses.
    const memo = `${sig}\u0000${createHash('sha256').update(text).digest('base64')}`
    const known = this.verdicts.get(memo)
    if (known !== undefined) return known
    const publicKey = this.keyOf(by)
    let valid = false
    try {
      valid = publicKey !== null && verify(null, Buffer.from(text), publicKey, Buffer.from(sig, 'base64'))
    } catch {}
    if (this.verdicts.size >= SEAL_CACHE_ENTRIES) this.verdicts.clear()
    this.verdicts.set(memo, valid)
    return valid
  }

  private keyOf (id: string): KeyObject | null {
    let key = this.keys.get(id)
    if (key === undefined) {
      try {
        const publicKey = peerIdFromString(id).publicKey
        key = publicKey?.type === 'Ed25519' ? createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(publicKey.raw) }, format: 'jwk' }) : null
      } catch {
        key = null
      }
      if (this.keys.size >= SEAL_CACHE_ENTRIES) this.keys.clear()
      this.keys.set(id, key)
    }
    return key
  }
}

function b64url (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url')
}
