// Private keys at rest: a certificate's key and the ACME account key are sealed under the
// cluster's secrets key (stored/ crypto, as secret versions), each bound to where it is
// filed — no secret is named with a "/", so none can stand in for them, and one host's
// key cannot be passed off as another's.

import type { SealedKey } from '../../crdt/index.ts'
import { openContent, sealContent } from '../stored/index.ts'

const certName = (host: string): string => `cert-key/${host}`
const ACCOUNT = 'acme-account/1'

/** A certificate's private key (PEM), sealed for `host`. */
export function sealCertKey (secretsKey: Buffer, host: string, pem: string): SealedKey {
  return sealContent(secretsKey, certName(host), 1, Buffer.from(pem, 'utf8'))
}

/** The PEM of `host`'s sealed key; throws when it does not open (another cluster's key, a record moved or tampered with). */
export function openCertKey (secretsKey: Buffer, host: string, sealed: SealedKey): string {
  return openContent(secretsKey, { name: certName(host), version: 1, ...sealed }).toString('utf8')
}

/** The ACME account key (PEM), sealed. */
export function sealAccountKey (secretsKey: Buffer, pem: string): SealedKey {
  return sealContent(secretsKey, ACCOUNT, 1, Buffer.from(pem, 'utf8'))
}

export function openAccountKey (secretsKey: Buffer, sealed: SealedKey): string {
  return openContent(secretsKey, { name: ACCOUNT, version: 1, ...sealed }).toString('utf8')
}
