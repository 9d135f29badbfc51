// A certificate given by hand is checked before anything is written: the chain parses,
// the key is a private key that matches the leaf, the host is among the leaf's DNS
// names (a wildcard covers one label), and it has not expired. Each refusal names the field.

import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { MeshdError } from '../errors.ts'
import { hostProblem } from './hosts.ts'

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g

/** A chain and key that passed: the chain normalised (leaf first), the key as PKCS#8 PEM. */
export interface CheckedCertificate {
  certificate: string
  keyPem: string
  notAfter: number
  fingerprint: string
}

/** Why a stored chain is unacceptable (not only CERTIFICATE blocks: a key in plaintext), or undefined. */
export function certificateProblem (chain: string): string | undefined {
  const blocks = [...chain.matchAll(PEM_BLOCK)]
  if (blocks.length === 0) return 'certificate: expected PEM CERTIFICATE blocks'
  if (blocks.some((block) => block[1] !== 'CERTIFICATE') || /PRIVATE KEY/.test(chain)) return 'certificate: holds something else than certificates (a key in plaintext?)'
  return undefined
}

/** The certificate blocks of a PEM text, parsed; throws a 400 naming `field` when there are none or one does not parse. */
export function parseChain (pem: string, field = 'certificate'): X509Certificate[] {
  const blocks = [...pem.matchAll(PEM_BLOCK)]
  if (blocks.length === 0 || blocks.some((block) => block[1] !== 'CERTIFICATE')) {
    throw invalid(field, 'expected one or more PEM "CERTIFICATE" blocks and nothing else')
  }
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block[0])
    } catch (err) {
      throw invalid(field, `block ${i + 1} is not an X.509 certificate (${(err as Error).message})`)
    }
  })
}

/** True when the leaf names `host` among its DNS names: exactly, or by a wildcard of one label; "*.x" only by "*.x". */
export function covers (leaf: X509Certificate, host: string): boolean {
  const names = (leaf.subjectAltName ?? '').split(/,\s*/)
    .filter((entry) => entry.startsWith('DNS:')).map((entry) => entry.slice(4).toLowerCase())
  return names.some((name) => name === host || (name.startsWith('*.') && !host.startsWith('*.') && host.slice(host.indexOf('.')) === name.slice(1)))
}

/** Checks a certificate and key given for `host` at `now`; throws a MeshdError (400) naming the field. */
export function checkCertificate (host: string, certificate: unknown, key: unknown, now: number): CheckedCertificate {
  const problem = hostProblem(host)
  if (problem !== undefined) throw invalid('host', problem)
  if (typeof certificate !== 'string' || certificate.length > 64 * 1024) throw invalid('certificate', 'expected PEM text of at most 64 KiB')
  if (typeof key !== 'string' || key.length > 16 * 1024) throw invalid('key', 'expected PEM text of at most 16 KiB')
  const chain = parseChain(certificate)
  const privateKey = parseKey(key)
  const leaf = chain[0]!
  if (!leaf.checkPrivateKey(privateKey)) throw invalid('key', 'does not match the certificate (the first block must be the leaf of this key)')
  if (!covers(leaf, host)) throw invalid('certificate', `does not cover ${host}: its DNS names are ${leaf.subjectAltName ?? 'none'}`)
  const notAfter = Date.parse(leaf.validTo)
  if (!(notAfter > now)) throw invalid('certificate', `expired on ${leaf.validTo}`)
  if (Date.parse(leaf.validFrom) > now) throw invalid('certificate', `not valid before ${leaf.validFrom}`)
  return {
    certificate: chain.map((cert) => cert.toString().trim()).join('\n') + '\n',
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    notAfter,
    fingerprint: leaf.fingerprint256
  }
}

function parseKey (pem: string): KeyObject {
  let key: KeyObject
  try {
    key = createPrivateKey({ key: pem, format: 'pem' })
  } catch (err) {
    const why = /ENCRYPTED|Proc-Type: 4,ENCRYPTED/.test(pem) || /passphrase/i.test((err as Error).message) ? 'is encrypted: give it without a passphrase (it is sealed in the document)' : 'is not a PEM private key'
    throw invalid('key', why)
  }
  // A public key or certificate given as the key is refused above; check it can sign at all.
  createPublicKey(key)
  return key
}

function invalid (field: string, message: string): MeshdError {
  return new MeshdError('MESHD_INVALID_SPEC', `${field}: ${message}`, field)
}
