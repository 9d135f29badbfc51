// What every node serves: a TLS context per host, built from the certificates the node
// believes (trust/) and kept until the record changes, and the answers to the ACME
// challenges the cluster is working on. The ingress calls these on every handshake and
// every /.well-known/acme-challenge/ request, so both are lookups.

import { createSecureContext } from 'node:tls'
import type { SecureContext } from 'node:tls'
import type { AcmeAccountRecord, AcmeRecord, CertRecord } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import { ACME_ACCOUNT_KEY } from '../../crdt/index.ts'
import { certificateFor } from './hosts.ts'
import { openCertKey } from './keys.ts'
import type { IngressCertificates } from './types.ts'

export interface CertificateContextsInit {
  /** The certificates this node believes, by host (trust/). */
  certs: () => Record<string, CertRecord>
  /** The issuance records this node believes, by host (trust/). */
  acme: () => Record<string, AcmeRecord | AcmeAccountRecord>
  secretsKey: Buffer
  log: Logger
  now?: () => number
}

const TOKEN = /^[A-Za-z0-9_-]{1,256}$/

/** The ingress' certificates: SecureContexts by server name (exact, then wildcard), and HTTP-01 answers. */
export class CertificateContexts implements IngressCertificates {
  private readonly init: CertificateContextsInit
  /** host → the record's seal (a new write changes it) and its context; null: it did not open. */
  private readonly cache = new Map<string, { sig: string, context: SecureContext | null }>()

  constructor (init: CertificateContextsInit) {
    this.init = init
  }

  readonly secureContext = (servername: string): SecureContext | undefined => {
    const name = servername.toLowerCase().replace(/\.$/, '')
    const found = certificateFor(this.init.certs(), name, (this.init.now ?? Date.now)())
    if (found === undefined) return undefined
    const sig = found.cert.sig ?? `${found.cert.fingerprint}/${found.cert.updatedAt}`
    const cached = this.cache.get(found.host)
    if (cached?.sig === sig) return cached.context ?? undefined
    const context = this.build(found.host, found.cert)
    if (this.cache.size > 4096) this.cache.clear()
    this.cache.set(found.host, { sig, context })
    return context ?? undefined
  }

  readonly challenge = (token: string): string | undefined => {
    if (!TOKEN.test(token)) return undefined
    for (const [host, record] of Object.entries(this.init.acme())) {
      if (host === ACME_ACCOUNT_KEY) continue
      const challenges = (record as AcmeRecord).challenges
      if (challenges !== undefined && Object.hasOwn(challenges, token)) return challenges[token]
    }
    return undefined
  }

  private build (host: string, cert: CertRecord): SecureContext | null {
    try {
      return createSecureContext({ cert: cert.certificate, key: openCertKey(this.init.secretsKey, host, cert.key) })
    } catch (err) {
      this.init.log.warn({ host, fingerprint: cert.fingerprint, err: (err as Error).message }, 'the certificate of a host cannot be served')
      return null
    }
  }
}
