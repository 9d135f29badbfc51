// What the API answers about secrets and configs: metadata, and for a config asked
// with ?show=1 its content. A secret's value never leaves the node that decrypts it
// for a replica.

/** A service that refers to a secret or config, and which versions its replicas run. */
export interface StoredUse {
  service: string
  /** The reference names a version ("db-pass@2"): an update does not roll the service. */
  pinned: boolean
  /** The version the service's current spec runs. */
  version: number
  /** Replicas (of every node) by the version they run, for those that run one: {"1": 2, "2": 1}. */
  running: Record<string, number>
  /** Replicas still running a version older than the latest (0 once a rotation is done). */
  outdated: number
}

/** `GET /v1/secrets/NAME` and each item of `GET /v1/secrets`; configs add `data` with ?show=1. */
export interface StoredView {
  name: string
  /** The latest version (1 at creation, +1 per update). */
  version: number
  /** Versions still kept: the latest and those a service (or its previous spec) refers to. */
  versions: number[]
  createdAt: number
  updatedAt: number
  /** Bytes of the latest version's content. */
  size: number
  usedBy: StoredUse[]
}

/** A config's view with its content (base64), for ?show=1 and `meshd config inspect --show`. */
export interface ConfigContentView extends StoredView {
  data: string
}
