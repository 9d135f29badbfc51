// The secrets and configs of the cluster document, and how a service spec refers to them.

import type { Sealed } from './sealed.ts'

/**
 * A secret a service's replicas get as a file. `source` names it ("db-pass", the
 * latest version) or pins a version ("db-pass@2"). `version` is what the reference
 * resolved to when the spec was written (the API sets it): every node runs exactly that
 * version, and an update of the secret writes the services that follow it anew.
 */
export interface SecretRef {
  source: string
  /** A file name under /run/secrets (default: the secret's name) or an absolute path. */
  target: string
  /** File mode (default 0o400), owner and group (default 0). */
  mode: number
  uid: number
  gid: number
  version?: number
}

/** A config a service's replicas get as a file at `target` (absolute); `source` as for secrets. */
export interface ConfigRef {
  source: string
  target: string
  /** Default 0o444. */
  mode: number
  version?: number
}

/**
 * `secrets["NAME@VERSION"]`: one version of a secret, written by the API of whichever
 * node took the request. The content is encrypted with AES-256-GCM under a random data
 * key, and that key under the cluster's secrets key (derived from the cluster secret):
 * nothing in the document, its files or a backup of them reads in clear without it.
 */
export interface SecretRecord extends Sealed {
  name: string
  version: number
  /** Bytes of the content. */
  size: number
  /** Base64: the content's nonce (12 bytes), and its ciphertext with the tag. */
  nonce: string
  data: string
  /** Base64: the data key under the secrets key, as nonce, ciphertext and tag. */
  key: string
  /** When the secret was created (its first version), and this version. */
  createdAt: number
  updatedAt: number
  /** The stack that created the secret from a file (every later version keeps it): `stack rm` removes it. */
  stack?: string
}

/** `configs["NAME@VERSION"]`: one version of a config; its content is not secret (base64). */
export interface ConfigRecord extends Sealed {
  name: string
  version: number
  size: number
  data: string
  createdAt: number
  updatedAt: number
  /** The stack that created the config from a file, as for secrets. */
  stack?: string
}

