// The settings of the certificates part; what the ingress asks of it (IngressCertificates)
// is the ingress' own interface (ingress/types.ts).

export type { IngressCertificates } from '../ingress/index.ts'

/** Where and how this node reaches the ACME CA (--acme-directory, --acme-email, --acme-ca-file). */
export interface AcmeSettings {
  directory: string
  email?: string
  /** PEM of an extra CA trusted for the directory's HTTPS (pebble's). */
  ca?: string
}
