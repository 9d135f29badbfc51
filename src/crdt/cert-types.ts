// TLS certificates of the ingress (docs/architecture.md, "Certificates"): given by hand
// through the API, or issued by ACME once for the cluster. The chain is public and kept
// plain; the private key is sealed under the cluster's secrets key, as secret versions are.

import type { Sealed } from './sealed.ts'

/** A private key sealed under the secrets key (node/stored): nonce, ciphertext and the wrapped data key, base64. */
export interface SealedKey { nonce: string, data: string, key: string }

export const CERT_SOURCES = ['manual', 'acme'] as const
export type CertSource = typeof CERT_SOURCES[number]

/** `certs[host]`: the certificate served for a host (exact or "*.example.com"). */
export interface CertRecord extends Sealed {
  /** The certificate and its chain, PEM, leaf first. */
  certificate: string
  /** The leaf's private key, sealed. */
  key: SealedKey
  /** The leaf's expiry (ms since the epoch). */
  notAfter: number
  /** SHA-256 of the leaf's DER, lowercase hex with colons (X509Certificate.fingerprint256). */
  fingerprint: string
  source: CertSource
  /** The node that issued it (acme) or took the request (manual). */
  issuedBy: string
  updatedAt: number
}

/** `acme[host]`: the issuance of a host's certificate, written by the lease holder only. */
export interface AcmeRecord extends Sealed {
  /** The node issuing now, and until when (ms) its lease holds unless renewed. */
  lease?: { node: string, until: number }
  /** token → key authorization of the HTTP-01 challenges being answered (only during an issuance). */
  challenges?: Record<string, string>
  lastError?: string
  /** Failed attempts since the last success. */
  attempts: number
  /** No new attempt before this (ms): the backoff after a failure. */
  nextAttemptAt?: number
  updatedAt: number
}

/** The key of the cluster's one ACME account in the `acme` map: no host starts with "@". */
export const ACME_ACCOUNT_KEY = '@account'

/** `acme["@account"]`: the cluster's ACME account key (PEM, sealed), for any node to go on with. */
export interface AcmeAccountRecord extends Sealed {
  key: SealedKey
  email?: string
  createdAt: number
  updatedAt: number
}
