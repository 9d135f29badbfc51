// One error registry: every error the API can return has a stable code, an HTTP
// status and a line of documentation. A test checks that each code is documented.

export const ERRORS = {
  MESHD_INVALID_JSON: { status: 400, doc: 'The request body is not valid JSON.' },
  MESHD_INVALID_SPEC: { status: 400, doc: 'A field of the request failed validation; `path` names it.' },
  MESHD_BODY_TOO_LARGE: { status: 413, doc: 'The request body exceeds the API limit.' },
  MESHD_UNSUPPORTED_MEDIA_TYPE: { status: 415, doc: 'The request body is not application/json.' },
  MESHD_NAME_MISMATCH: { status: 400, doc: 'The name in the URL and the name in the spec differ.' },
  MESHD_PORT_CONFLICT: { status: 409, doc: 'A published port is already used by another service.' },
  MESHD_INGRESS_TAKEN: { status: 409, doc: 'An ingress host and path is already routed to another service; the message names it.' },
  MESHD_NO_PREVIOUS_SPEC: { status: 409, doc: 'A rollback was asked for a service that was never updated.' },
  MESHD_SERVICE_NOT_FOUND: { status: 404, doc: 'No service has that name.' },
  MESHD_STACK_NOT_FOUND: { status: 404, doc: 'No service, secret or config belongs to a stack of that name.' },
  MESHD_NODE_NOT_FOUND: { status: 404, doc: 'No node has that name or id (or several share the name).' },
  MESHD_NOT_FOUND: { status: 404, doc: 'No such API route.' },
  MESHD_VOLUME_NOT_FOUND: { status: 404, doc: 'The service has no volume of that name, or no node holds that slot\'s data now.' },
  MESHD_UNAUTHORIZED: { status: 401, doc: 'No bearer token, or one that is unknown, revoked or expired.' },
  MESHD_FORBIDDEN: { status: 403, doc: 'The token\'s role lacks the permission, or the Host or Origin header is not allowed.' },
  MESHD_ALERT_NOT_FOUND: { status: 404, doc: 'No alert rule has that name.' },
  MESHD_CERT_NOT_FOUND: { status: 404, doc: 'No certificate is stored for that host.' },
  MESHD_TOKEN_EXISTS: { status: 409, doc: 'A token with that name exists.' },
  MESHD_TOKEN_NOT_FOUND: { status: 404, doc: 'No token has that name.' },
  MESHD_LAST_ADMIN: { status: 409, doc: 'The last admin token cannot be revoked.' },
  MESHD_CONFLICT: { status: 409, doc: 'If-Match named a version the service no longer has; read it again and retry.' },
  MESHD_NODE_ALIVE: { status: 409, doc: 'A node that is alive (or the one answering) cannot be removed without force.' },
  MESHD_AUTOSCALED: { status: 409, doc: 'The service is autoscaled: its replica count is the autoscaler\'s; change autoscale.min and autoscale.max (PUT the spec) instead.' },
  MESHD_SECRET_NOT_FOUND: { status: 404, doc: 'No secret has that name (or that version).' },
  MESHD_CONFIG_NOT_FOUND: { status: 404, doc: 'No config has that name (or that version).' },
  MESHD_EXISTS: { status: 409, doc: 'A secret or config with that name exists; update it instead.' },
  MESHD_IN_USE: { status: 409, doc: 'A service uses the secret or config; remove it from the service first.' },
  MESHD_BACKUP_INVALID: { status: 400, doc: 'A cluster backup failed its format, checksum or signature check (changed, damaged, or of another cluster), or holds an invalid record; nothing was restored.' },
  MESHD_CLUSTER_NOT_EMPTY: { status: 409, doc: 'A restore was asked of a cluster that already has services, secrets, configs or tokens of the same names; nothing was restored.' },
  MESHD_TOO_LARGE: { status: 413, doc: 'A secret or config is larger than 512 KiB.' },
  MESHD_TRANSFER_NOT_FOUND: { status: 404, doc: 'The node has no such transfer resource (node-to-node transfers only).' },
  MESHD_TRANSFER_CORRUPT: { status: 400, doc: 'A pushed transfer body failed verification: a frame that does not authenticate, a wrong length or checksum, or a truncated body.' },
  MESHD_TOO_MANY_STREAMS: { status: 503, doc: 'The node serves as many event streams as it allows (64 readers, 256 members\' reads); close one, or read another node.' },
  MESHD_INTERNAL: { status: 500, doc: 'An unexpected error; the daemon logged it.' },
  MESHD_STORAGE_FULL: { status: 507, doc: 'The node\'s data dir is (nearly) full; the write was not applied. Free space there or send it to another node.' },
  // 507, not 413: the request is not too large, the document is full (RFC 4918 answers a quota with 507 too).
  MESHD_DOCUMENT_QUOTA: { status: 507, doc: 'The write would grow the cluster document past its quota (64 MiB); nothing was applied. Delete services to make room.' }
} as const

export type ErrorCode = keyof typeof ERRORS

/** An error with a stable code, mapped to an HTTP status by ERRORS. */
export class MeshdError extends Error {
  readonly code: ErrorCode
  readonly path?: string

  constructor (code: ErrorCode, message: string, path?: string) {
    super(message)
    this.name = 'MeshdError'
    this.code = code
    this.path = path
  }

  get status (): number {
    return ERRORS[this.code].status
  }

  /** The API's error body: {"error":{"code","message","path"}}. */
  toJSON (): { error: { code: ErrorCode, message: string, path?: string } } {
    return { error: { code: this.code, message: this.message, ...(this.path === undefined ? {} : { path: this.path }) } }
  }
}

/** A start-up failure the CLI reports as one clear message (exit 1). */
export class StartupError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'StartupError'
  }
}
