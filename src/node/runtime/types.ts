import type { Readable } from 'node:stream'
import type { ServiceSpec } from '../../crdt/index.ts'

/** Labels every meshd container carries. */
export const LABELS = {
  service: 'meshd.service',
  slot: 'meshd.slot',
  node: 'meshd.node',
  generation: 'meshd.generation',
  /** The image id the deploy recorded, on replicas of a record that has one. */
  imageId: 'meshd.image-id',
  /** The hash of the spec the replica was built from (cluster/spec-hash.ts). */
  specHash: 'meshd.spec-hash',
  /** On a replica of a Compose stack's service: the stack's name. */
  stack: 'meshd.stack',
  /** On a node's Docker network: what it is for (NETWORK_ROLE). */
  network: 'meshd.network',
  /** On a replica's volume: its source name in the spec (with node, service and slot). */
  volume: 'meshd.volume',
  /** On a temporary container that copies a volume in or out: the volume's name. */
  volumeCopy: 'meshd.volume-copy'
} as const

/** The meshd.network label of a node's replica network. */
export const NETWORK_ROLE = 'replicas'

/**
 * A node's replica network: a Docker bridge its replicas join, where they reach only the
 * node (the gateway) and the outside world, never each other.
 */
export interface ReplicaNetwork {
  /** Docker's name of it: meshd-<node>. */
  name: string
  id: string
  /** IPv4 CIDR, a /20 unless one was given. */
  subnet: string
  /** The subnet's first address, the host's own on the bridge: where the node answers DNS and the mesh. */
  gateway: string
  /** The Linux interface of the bridge on the host. */
  bridge: string
  /** The subnet's addresses Docker never gives a container (after its first /22, up to broadcast - 1), for the node's services. */
  serviceRange: { first: string, last: string }
}

/** A meshd container as the runtime sees it (from list or inspect). */
export interface ContainerInfo {
  id: string
  name: string
  service: string
  slot: number
  generation: number
  /** meshd.node label: the node name that owns it. */
  node: string
  /** meshd.spec-hash label: the spec it was built from (absent on containers of older versions). */
  specHash?: string
  /** Docker's state: created, running, exited, dead, paused, restarting, removing. */
  state: string
  /**
   * Where each exposed tcp port is served: "<ip>:<target>" on the replica network while it
   * runs with an address there, else none. A container from before replica networks
   * reports its ports published on the node's address ("host:port") instead.
   */
  ports: Array<{ target: number, endpoint: string }>
  /** The container's address on this node's replica network, while it runs. */
  ip?: string
  exitCode?: number
  /** From inspect only (a list does not say): the kernel's OOM killer killed a process of it. */
  oomKilled?: true
  startedAt?: string
}

/** What the runtime reports through watch(): a container of this node changed. */
export interface ContainerEvent {
  id: string
  /** Docker event action: start, die, destroy, stop, kill, oom, health_status, ... */
  action: string
  service?: string
  slot?: number
  /** On "die": the container's exit code. */
  exitCode?: number
}

/**
 * A secret or config file delivered into a replica: kept in memory on the host (a tmpfs),
 * bind-mounted read-only at `path`, owned by uid:gid with `mode`.
 */
export interface ReplicaFile {
  /** Absolute and normalised path in the container, not "/": /run/secrets/db-pass. */
  path: string
  /** The content (decrypted); it never reaches Docker's API, labels, env or any disk. */
  data: Buffer
  /** Permission bits, at most 0o777: 0o400. */
  mode: number
  uid: number
  gid: number
}

export interface CreateRequest {
  spec: ServiceSpec
  slot: number
  generation: number
  /** The image id the deploy recorded (ServiceRecord.imageId): the replica runs exactly that image or does not start. */
  imageId?: string
  /** The hash of `spec`, kept as a label so a replica of a losing concurrent spec is recognised. */
  specHash?: string
  /** Files to mount into the replica (each at its own path); they stay on the host's tmpfs until the replica is removed. */
  files?: ReplicaFile[]
  /** The container's StopTimeout: the spec's stopGracePeriod in seconds (default DEFAULT_GRACE_SECONDS). */
  stopGraceSeconds?: number
}

export interface ExecResult { exitCode: number, output: string }

/** Which part of a container's log to read (Runtime.logs). */
export interface ContainerLogOptions {
  /** Keep the stream open and send new lines as they are written. */
  follow: boolean
  /** Only the last N lines (before following); default all. */
  tail?: number
  /** Only lines from then on: Docker's "SECONDS.NANOSECONDS" since the epoch. */
  since?: string
  signal?: AbortSignal
}

/** A container's log: each line starts with Docker's RFC 3339 timestamp; framed stdout/stderr unless `tty`. */
export interface ContainerLog { tty: boolean, stream: Readable }

/** Whose a replica's volume is: the labels it carries. */
export interface VolumeLabels {
  node: string
  service: string
  slot: number
  /** The volume's source name in the spec (volumes[].source). */
  source: string
}

/** A meshd volume of this node (listVolumes): its Docker name and its labels. */
export interface VolumeInfo extends VolumeLabels {
  name: string
}

/**
 * The Docker runtime adapter: the only code that talks to the Docker Engine.
 * Every method takes an optional AbortSignal; errors of an unreachable engine are
 * RuntimeUnavailableError.
 */
export interface Runtime {
  /** Resolves when the engine answers; throws RuntimeUnavailableError when not. */
  ping(opts?: { signal?: AbortSignal }): Promise<void>
  /**
   * Creates or adopts this node's replica network (ReplicaNetworkError when it cannot):
   * the given subnet, or a free /20 of the pool. run() uses the subnet asked for last.
   */
  ensureNetwork(opts?: { subnet?: string, signal?: AbortSignal }): Promise<ReplicaNetwork>
  /** Removes this node's replica network; absent is not an error, attached containers are (DockerApiError). */
  removeNetwork(opts?: { signal?: AbortSignal }): Promise<void>
  /**
   * Creates and starts a labelled container on this node's replica network (ensured first),
   * exposing each target port and publishing none; with req.imageId, ImageMismatchError
   * unless that image is here; with req.files, ReplicaFilesError unless they can be kept
   * in memory (a tmpfs) on the engine's own host.
   */
  run(req: CreateRequest, opts?: { signal?: AbortSignal }): Promise<ContainerInfo>
  /** Stops (with a grace period in seconds) and removes a container, and its files; absent is not an error. */
  remove(id: string, opts?: { signal?: AbortSignal, graceSeconds?: number }): Promise<void>
  inspect(id: string, opts?: { signal?: AbortSignal }): Promise<ContainerInfo | undefined>
  /** Every container (running or not) labelled meshd.node=<this node's name>; sweeps the files of those gone (sweepFiles). */
  list(opts?: { signal?: AbortSignal }): Promise<ContainerInfo[]>
  /** Removes the files of every replica whose container no longer exists (one left by a crash, or removed behind meshd's back). */
  sweepFiles(opts?: { signal?: AbortSignal }): Promise<void>
  /** Runs a command in a running container and returns its exit code and output. */
  exec(id: string, cmd: string[], opts?: { signal?: AbortSignal, timeoutMs?: number }): Promise<ExecResult>
  /** A container's log, streamed (runtime/logs.ts); destroy the stream, or abort, to stop following. */
  logs(id: string, opts: ContainerLogOptions): Promise<ContainerLog>
  /** Calls onEvent for each event of this node's containers, reconnecting with backoff, until the returned function or stop() is called. */
  watch(onEvent: (event: ContainerEvent) => void): () => Promise<void>
  /** Ensures the image exists locally (pulls if absent and a registry is reachable); with imageId, an image of that id here is enough. */
  ensureImage(image: string, opts?: { signal?: AbortSignal, imageId?: string }): Promise<void>
  /** The id ("sha256:…") of the local image a reference (tag, digest or id) names; undefined when it is not on this node. */
  imageId(reference: string, opts?: { signal?: AbortSignal }): Promise<string | undefined>
  /**
   * A tar stream of a volume's whole content, entries rooted at VOLUME_ARCHIVE_ROOT/ (the
   * volume's own directory first, with its owner and mode), read with the host's GNU tar
   * when the daemon is root (host-tar.ts), else through a temporary container of `image`
   * that is created, never started, and removed when the stream ends, fails or is
   * destroyed: consume or destroy it. Consistent only while no replica writes
   * to the volume. VolumeError 'not-found' or 'foreign-node' (another node's volume).
   */
  exportVolume(name: string, image: string, opts?: { signal?: AbortSignal }): Promise<Readable>
  /**
   * Replaces a volume's content with an archive as exportVolume makes it: the volume is made
   * anew with `labels` (VolumeError 'in-use' while a container uses it, 'foreign-node' when
   * labels.node is not this node), then filled with every owner, mode and time of the
   * archive (host tar as root, else a temporary container). A failed import removes the volume again: a volume is whole or absent.
   */
  importVolume(name: string, labels: VolumeLabels, image: string, tar: Readable, opts?: { signal?: AbortSignal }): Promise<void>
  /** Removes a volume of this node; absent is not an error, one a container uses is VolumeError 'in-use'. */
  removeVolume(name: string, opts?: { signal?: AbortSignal }): Promise<void>
  /** This node's replica volumes (labelled meshd.node=<this node's name>). */
  listVolumes(opts?: { signal?: AbortSignal }): Promise<VolumeInfo[]>
  stop(): Promise<void>
}

/** The Docker Engine does not answer. */
export class RuntimeUnavailableError extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RuntimeUnavailableError'
  }
}
