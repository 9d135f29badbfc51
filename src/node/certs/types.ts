// What the ingress asks of certificates. Part A (the ingress servers) declares this same
// interface in src/node/ingress/types.ts; until the two branches are merged it is declared
// here, identical, and the merge keeps one of them.

import type { SecureContext } from 'node:tls'

export interface IngressCertificates {
  /** The TLS context for a server name (exact host first, then its wildcard), or undefined: the handshake is refused. */
  secureContext: (servername: string) => SecureContext | undefined
  /** The key authorization of an ACME HTTP-01 token this cluster is answering, or undefined (404). */
  challenge: (token: string) => string | undefined
}

/** Where and how this node reaches the ACME CA (--acme-directory, --acme-email, --acme-ca-file). */
export interface AcmeSettings {
  directory: string
  email?: string
  /** PEM of an extra CA trusted for the directory's HTTPS (pebble's). */
  ca?: string
}
