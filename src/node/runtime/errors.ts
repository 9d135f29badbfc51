import { RuntimeUnavailableError } from './types.ts'

/** The engine answered, with an error status; the message is Docker's own. */
export class DockerApiError extends Error {
  readonly statusCode: number

  constructor (statusCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DockerApiError'
    this.statusCode = statusCode
  }
}

// Socket-level failures: the engine never saw the request, so retrying later is all
// a caller can do. Anything with an HTTP status came from the engine itself.
const UNREACHABLE_CODES = new Set([
  'ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT',
  'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ENOTSOCK', 'ECONNABORTED'
])

interface ModemError { code?: unknown, statusCode?: unknown, json?: unknown, message?: unknown, name?: unknown }

/** The HTTP status the engine answered with, if it answered at all. */
export function statusOf (err: unknown): number | undefined {
  const status = (err as ModemError | undefined)?.statusCode
  return typeof status === 'number' ? status : undefined
}

/** True when the engine answered 404 (no such container, image or exec). */
export function isNotFound (err: unknown): boolean {
  return statusOf(err) === 404
}

/** True for aborts requested through an AbortSignal. */
export function isAbort (err: unknown): boolean {
  return (err as ModemError | undefined)?.name === 'AbortError'
}

/** True when the request never reached the engine (socket missing, refused, reset). */
export function isUnreachable (err: unknown): boolean {
  if (err instanceof RuntimeUnavailableError) return true
  const code = (err as ModemError | undefined)?.code
  return typeof code === 'string' && UNREACHABLE_CODES.has(code) && statusOf(err) === undefined
}

/** Maps a dockerode error to what callers see: RuntimeUnavailableError, DockerApiError, or the error itself (aborts). */
export function toRuntimeError (err: unknown, endpoint: string): unknown {
  if (err instanceof RuntimeUnavailableError || err instanceof DockerApiError || isAbort(err)) return err
  if (isUnreachable(err)) return new RuntimeUnavailableError(unreachableMessage(err, endpoint), { cause: err })
  const status = statusOf(err)
  if (status !== undefined) return new DockerApiError(status, dockerMessage(err), { cause: err })
  return err
}

function unreachableMessage (err: unknown, endpoint: string): string {
  const code = (err as ModemError).code
  switch (code) {
    case 'ENOENT':
      return `docker engine unreachable: ${endpoint} does not exist (is dockerd running? set DOCKER_HOST or the socket path)`
    case 'ECONNREFUSED':
      return `docker engine unreachable: ${endpoint} refused the connection (is dockerd running?)`
    case 'EACCES':
    case 'EPERM':
      return `docker engine unreachable: permission denied on ${endpoint} (add this user to the docker group or run as root)`
    default:
      return `docker engine unreachable at ${endpoint}: ${String((err as ModemError).message ?? code)}`
  }
}

// dockerode's own message wraps Docker's in "(HTTP code 404) no such container - ... ";
// Docker's JSON message alone is what an operator recognises.
function dockerMessage (err: unknown): string {
  const json = (err as ModemError).json
  if (typeof json === 'object' && json !== null && typeof (json as { message?: unknown }).message === 'string') {
    return (json as { message: string }).message
  }
  if (typeof json === 'string' && json.trim() !== '') return json.trim()
  // Streamed answers (pull, events) carry no JSON; strip the wrapper from the message instead.
  return String((err as ModemError).message ?? err).replace(/^\(HTTP code \d+\) [^-]*- /, '').trim()
}

/** The image is not on this node and pulling it failed; retrying soon rarely helps. */
export class ImagePullError extends Error {
  readonly image: string

  constructor (image: string, reason: string, options?: { cause?: unknown }) {
    super(`image "${image}" not found locally and could not be pulled: ${reason}`, options)
    this.name = 'ImagePullError'
    this.image = image
  }
}

/**
 * The image a deploy recorded is not what this node has for its tag: another image has
 * the tag here (`local`), or neither the tag nor the id is here (`local` undefined).
 */
export class ImageMismatchError extends Error {
  readonly image: string
  readonly expected: string
  readonly local: string | undefined

  constructor (image: string, expected: string, local: string | undefined, options?: { reason?: string, cause?: unknown }) {
    const found = local === undefined
      ? `is not on this node (neither the tag nor an image with that id${options?.reason === undefined ? '' : `, and pulling it failed: ${options.reason}`})`
      : `is ${local} on this node`
    super(`image "${image}" ${found}, expected ${expected} (the id recorded when the service was deployed): load that image here (docker save | docker load keeps its id), or deploy again to record the one the tag names now`, { cause: options?.cause })
    this.name = 'ImageMismatchError'
    this.image = image
    this.expected = expected
    this.local = local
  }
}

/** Why a node's replica network could not be created or adopted. */
export type ReplicaNetworkProblem =
  /** The subnet asked for is malformed, too small or too large, or reserved. */
  | 'invalid-subnet'
  /** The node's network exists on another subnet than the one asked for. */
  | 'subnet-mismatch'
  /** The subnet asked for overlaps another network of the engine. */
  | 'subnet-taken'
  /** Every /20 of the pool overlaps a network of the engine. */
  | 'pool-exhausted'
  /** A network that is not this node's already has its name. */
  | 'name-taken'
  /** The node's network is not laid out as meshd lays it out (no IPv4 subnet, another IPRange). */
  | 'foreign-layout'

/** An error whose `code` says why, and whose message says what to do. */
class CodedError<Code extends string> extends Error {
  readonly code: Code

  constructor (code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** This node's replica network cannot be created or adopted. */
export class ReplicaNetworkError extends CodedError<ReplicaNetworkProblem> {}

/** Why a replica's files could not be delivered. */
export type ReplicaFilesProblem =
  /** A file's path is not absolute and normalised, is "/", or is another file's; or its mode, uid or gid is out of range. */
  | 'invalid-file'
  /** The files directory is not on a tmpfs: a secret would land on a disk. */
  | 'not-tmpfs'
  /** The files directory is not a directory owned by meshd alone (a symlink, another user's). */
  | 'unsafe-dir'
  /** The engine is not on this host (DOCKER_HOST tcp:// or ssh://): it cannot mount this host's files. */
  | 'remote-engine'
  /** Writing, owning or moding a file failed (chown needs root). */
  | 'write-failed'

/** A replica's files could not be delivered, so the replica does not start. */
export class ReplicaFilesError extends CodedError<ReplicaFilesProblem> {}

/** Why a volume could not be exported, imported or removed. */
export type VolumeProblem =
  /** No volume of that name on this engine. */
  | 'not-found'
  /** The volume is another node's (its meshd.node label), or is to be labelled as another node's. */
  | 'foreign-node'
  /** A container (a replica, running or stopped) still uses the volume. */
  | 'in-use'

/** A volume operation refused; the volume is as it was. */
export class VolumeError extends CodedError<VolumeProblem> {}
