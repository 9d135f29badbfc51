// Secrets at rest: each version's content is encrypted with AES-256-GCM under a data key
// of its own, and that key under the cluster's secrets key — derived from the cluster
// secret, so every member can open a secret and a copy of the document alone cannot.
// Both ciphertexts are bound to the secret's name and version (the additional data):
// a member cannot pass one secret's ciphertext off as another's.

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import type { SecretRecord } from '../../crdt/index.ts'

const NONCE_BYTES = 12
const TAG_BYTES = 16

/** The secrets key of a cluster secret (its pnet swarm.key bytes): distinct from the secret and from the mesh key. */
export function secretsKeyOf (secret: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'meshd', 'secrets/1', 32))
}

/** The encrypted fields of a secret version (SecretRecord's nonce, data and key). */
export interface SealedContent { nonce: string, data: string, key: string }

/** Encrypts `content` as version `version` of secret `name`. */
export function sealContent (secretsKey: Buffer, name: string, version: number, content: Buffer): SealedContent {
  const dataKey = randomBytes(32)
  try {
    const nonce = randomBytes(NONCE_BYTES)
    const data = encrypt(dataKey, nonce, content, aad(name, version))
    const keyNonce = randomBytes(NONCE_BYTES)
    const wrapped = Buffer.concat([keyNonce, encrypt(secretsKey, keyNonce, dataKey, aad(name, version))])
    return { nonce: nonce.toString('base64'), data: data.toString('base64'), key: wrapped.toString('base64') }
  } finally {
    dataKey.fill(0)
  }
}

/** The content of a secret version; throws when it does not authenticate (another cluster's key, a tampered record). */
export function openContent (secretsKey: Buffer, record: Pick<SecretRecord, 'name' | 'version' | 'nonce' | 'data' | 'key'>): Buffer {
  const ad = aad(record.name, record.version)
  const wrapped = Buffer.from(record.key, 'base64')
  if (wrapped.byteLength !== NONCE_BYTES + 32 + TAG_BYTES) throw new Error(`secret ${record.name}@${record.version}: its key is malformed`)
  const dataKey = decrypt(secretsKey, wrapped.subarray(0, NONCE_BYTES), wrapped.subarray(NONCE_BYTES), ad)
  try {
    return decrypt(dataKey, Buffer.from(record.nonce, 'base64'), Buffer.from(record.data, 'base64'), ad)
  } finally {
    dataKey.fill(0)
  }
}

function aad (name: string, version: number): Buffer {
  return Buffer.from(`meshd-secret\u0000${name}\u0000${version}`, 'utf8')
}

function encrypt (key: Buffer, nonce: Buffer, plain: Buffer, ad: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES })
  cipher.setAAD(ad)
  return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()])
}

function decrypt (key: Buffer, nonce: Buffer, sealed: Buffer, ad: Buffer): Buffer {
  if (nonce.byteLength !== NONCE_BYTES || sealed.byteLength < TAG_BYTES) throw new Error('malformed ciphertext')
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES })
  decipher.setAAD(ad)
  decipher.setAuthTag(sealed.subarray(sealed.byteLength - TAG_BYTES))
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.byteLength - TAG_BYTES)), decipher.final()])
}
