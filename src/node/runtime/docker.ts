import { randomBytes } from 'node:crypto'
import { Agent } from 'node:http'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import Docker from 'dockerode'
import type { Logger } from '../../logger.ts'
import { DEFAULT_GRACE_SECONDS, DEFAULT_SOCKET_PATH, EXEC_OUTPUT_CAP, EXEC_TIMEOUT_MS, FILES_PARENT, IMAGE_CACHE_MS, PING_TIMEOUT_MS } from './constants.ts'
import { fromInspect, fromListEntry } from './container-info.ts'
import { containerName, createOptions, safeNodeName } from './container-spec.ts'
import { ImageMismatchError, isNotFound, isUnreachable, ReplicaFilesError, statusOf, toRuntimeError } from './errors.ts'
import { ReplicaFiles } from './files.ts'
import { ensureReplicaNetwork, removeReplicaNetwork } from './network.ts'
import { replicaNetworkName } from './network-layout.ts'
import { EventWatcher } from './events.ts'
import { execIn } from './exec.ts'
import { containerLogs } from './logs.ts'
import { ensureImage, localImageId, pinnedReference } from './image.ts'
import { LABELS, RuntimeUnavailableError } from './types.ts'
import type { ContainerEvent, ContainerInfo, ContainerLog, ContainerLogOptions, CreateRequest, ExecResult, ReplicaFile, ReplicaNetwork, Runtime, VolumeInfo, VolumeLabels } from './types.ts'
import { VolumeStore } from './volumes.ts'

export interface DockerRuntimeInit {
  /** The node's --host address: where replicas from before replica networks published their ports. */
  host: string
  /** The node's name, stamped on every container as meshd.node. */
  nodeName: string
  log: Logger
  /** The engine's unix socket; default DOCKER_HOST, else /var/run/docker.sock. */
  socketPath?: string
  /** Where replicas' secret and config files live: a directory on a tmpfs; default /dev/shm/meshd-<node>. */
  filesDir?: string
  /** Overrides for tests; defaults in constants.ts. */
  watchBackoffMinMs?: number
  watchBackoffMaxMs?: number
}

// @types/dockerode omits ping's options; dockerode 5 forwards { abortSignal }.
type PingWithOptions = (opts: { abortSignal?: AbortSignal }) => Promise<unknown>

/** A Runtime backed by the Docker Engine through dockerode. */
export function dockerRuntime (init: DockerRuntimeInit): Runtime {
  return new DockerRuntime(init)
}

class DockerRuntime implements Runtime {
  private readonly init: DockerRuntimeInit
  private readonly docker: Docker
  /** Where the engine is, for error messages. */
  private readonly endpoint: string
  // Our own pool, so stop() can close idle keep-alive sockets instead of leaving them to the global agent.
  private readonly agent?: Agent
  private readonly watchers = new Set<EventWatcher>()
  private readonly imageSeenAt = new Map<string, number>()
  /** The engine's cpu count, asked once, the first time a spec limits cpus. */
  private cpuCount?: Promise<number>
  /** The subnet the last successful ensureNetwork() asked for; run() asks for it again. */
  private subnet?: string
  /** run()'s ensureNetwork in flight: concurrent starts share one. */
  private ensuring?: Promise<ReplicaNetwork>
  /** Where inspect and list find a replica's address. */
  private networkName: string
  /** Replicas' files, in memory on this host. */
  private readonly files: ReplicaFiles
  private readonly volumes: VolumeStore

  constructor (init: DockerRuntimeInit) {
    this.init = init
    this.networkName = replicaNetworkName(init.nodeName)
    // One directory per node name as Docker names allow it: two nodes whose names differ
    // only in other characters cannot share an engine anyway (their networks' names collide).
    this.files = new ReplicaFiles({ dir: init.filesDir ?? join(FILES_PARENT, `meshd-${safeNodeName(init.nodeName)}`), log: init.log })
    const fromEnv = init.socketPath === undefined ? process.env.DOCKER_HOST ?? '' : ''
    if (fromEnv !== '' && !fromEnv.startsWith('unix://')) {
      // docker-modem understands the remote DOCKER_HOST forms (tcp://, ssh://, TLS env) itself.
      this.docker = new Docker()
      this.endpoint = fromEnv
    } else {
      const socketPath = init.socketPath ?? (fromEnv.slice('unix://'.length) || DEFAULT_SOCKET_PATH)
      this.agent = new Agent({ keepAlive: true })
      this.docker = new Docker({ socketPath, agent: this.agent } as Docker.DockerOptions)
      this.endpoint = `unix://${socketPath}`
    }
    this.volumes = new VolumeStore({ docker: this.docker, nodeName: init.nodeName, log: init.log, ensureImage: async (image, signal) => { await this.ensureImage(image, { ...(signal === undefined ? {} : { signal }) }) }, mapError: err => this.mapError(err) })
  }

  async ping (opts: { signal?: AbortSignal } = {}): Promise<void> {
    const timeout = AbortSignal.timeout(PING_TIMEOUT_MS)
    const signal = opts.signal === undefined ? timeout : AbortSignal.any([opts.signal, timeout])
    try {
      await (this.docker.ping as unknown as PingWithOptions).call(this.docker, { abortSignal: signal })
    } catch (err) {
      if (opts.signal?.aborted === true) throw err
      if (timeout.aborted) {
        throw new RuntimeUnavailableError(`docker engine at ${this.endpoint} did not answer within ${PING_TIMEOUT_MS / 1000} s (is dockerd running and healthy?)`, { cause: err })
      }
      const mapped = toRuntimeError(err, this.endpoint)
      // An engine that answers /_ping with an error is not usable either.
      if (mapped instanceof RuntimeUnavailableError || !(mapped instanceof Error)) throw mapped
      throw new RuntimeUnavailableError(`docker engine at ${this.endpoint} answered /_ping with an error: ${mapped.message}`, { cause: err })
    }
  }

  async ensureNetwork (opts: { subnet?: string, signal?: AbortSignal } = {}): Promise<ReplicaNetwork> {
    const subnet = opts.subnet ?? this.subnet
    const network = await ensureReplicaNetwork(this.docker, this.init.nodeName, {
      ...(subnet === undefined ? {} : { subnet }),
      ...(opts.signal === undefined ? {} : { signal: opts.signal })
    }).catch(err => { throw this.mapError(err) })
    this.subnet = subnet
    this.networkName = network.name
    return network
  }

  async removeNetwork (opts: { signal?: AbortSignal } = {}): Promise<void> {
    await removeReplicaNetwork(this.docker, this.init.nodeName, opts).catch(err => { throw this.mapError(err) })
  }

  async run (req: CreateRequest, opts: { signal?: AbortSignal } = {}): Promise<ContainerInfo> {
    const { nodeName } = this.init
    const network = await this.replicaNetwork(opts.signal)
    const name = containerName(nodeName, req, randomBytes(2).toString('hex'))
    const engineCpus = req.spec.resources?.limits?.cpus === undefined ? undefined : await this.engineCpus()
    const image = req.imageId === undefined ? undefined : await pinnedReference(this.docker, req.spec.image, req.imageId, this.endpoint)
    const files = req.files ?? []
    if (files.length === 0) return await this.createAndStart(req, createOptions(req, { nodeName, network, name, image, engineCpus }), network.name, opts.signal)
    try {
      // The files exist before the container that mounts them, and only in memory.
      const filesDir = await this.writeFiles(name, files)
      opts.signal?.throwIfAborted()
      return await this.createAndStart(req, createOptions(req, { nodeName, network, name, image, engineCpus, filesDir }), network.name, opts.signal)
    } catch (err) {
      // A replica that did not start leaves no secret behind.
      await this.files.remove(name)
      throw err
    } finally {
      this.files.settled(name)
    }
  }

  async remove (id: string, opts: { signal?: AbortSignal, graceSeconds?: number } = {}): Promise<void> {
    const container = this.docker.getContainer(id)
    try {
      await container.stop({ t: opts.graceSeconds ?? DEFAULT_GRACE_SECONDS, ...this.abortOption(opts.signal) })
    } catch (err) {
      // Already stopped (304), absent (404) or stuck: the forced remove below settles all of them.
      if (isUnreachable(err) || opts.signal?.aborted === true) throw this.mapError(err)
    }
    try {
      await container.remove({ force: true, ...this.abortOption(opts.signal) })
    } catch (err) {
      // 404: already gone; 409: another removal of it is in progress.
      const status = statusOf(err)
      if (status !== 404 && status !== 409) throw this.mapError(err)
    }
    // Its files go with it: a sweep, as remove() knows the container by id and its files are kept by name.
    await this.sweepFiles(opts).catch(err => { this.init.log.warn({ err, container: id }, 'could not sweep replica files after removing a container') })
  }

  async inspect (id: string, opts: { signal?: AbortSignal } = {}): Promise<ContainerInfo | undefined> {
    try {
      return fromInspect(await this.docker.getContainer(id).inspect(this.abortOption(opts.signal)), this.init.host, this.networkName)
    } catch (err) {
      if (isNotFound(err)) return undefined
      throw this.mapError(err)
    }
  }

  async list (opts: { signal?: AbortSignal } = {}): Promise<ContainerInfo[]> {
    // Begun before the list, so a replica whose files are written meanwhile keeps them.
    const sweep = this.files.startSweep()
    const entries = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.node}=${this.init.nodeName}`] },
      ...this.abortOption(opts.signal)
    }).catch(err => {
      sweep.cancel()
      throw this.mapError(err)
    })
    await sweep.finish(entries.flatMap(entry => (entry.Names ?? []).map(name => name.replace(/^\//, ''))))
    return entries.flatMap(entry => fromListEntry(entry, this.init.host, this.networkName) ?? [])
  }

  async sweepFiles (opts: { signal?: AbortSignal } = {}): Promise<void> {
    // No replica has files here (the usual case): nothing to sweep, no need to ask the engine.
    // An unsafe directory throws: list() sweeps and says why.
    const names = await this.files.names().catch(() => undefined)
    if (names?.length === 0) return
    await this.list(opts)
  }

  async exec (id: string, cmd: string[], opts: { signal?: AbortSignal, timeoutMs?: number } = {}): Promise<ExecResult> {
    return await execIn(this.docker, id, cmd, {
      timeoutMs: opts.timeoutMs ?? EXEC_TIMEOUT_MS,
      outputCap: EXEC_OUTPUT_CAP,
      ...(opts.signal === undefined ? {} : { signal: opts.signal })
    }).catch(err => { throw this.mapError(err) })
  }

  async logs (id: string, opts: ContainerLogOptions): Promise<ContainerLog> { return await containerLogs(this.docker, id, opts).catch(err => { throw this.mapError(err) }) }

  watch (onEvent: (event: ContainerEvent) => void): () => Promise<void> {
    const watcher = new EventWatcher({
      docker: this.docker,
      nodeName: this.init.nodeName,
      log: this.init.log,
      onEvent,
      ...(this.init.watchBackoffMinMs === undefined ? {} : { backoffMinMs: this.init.watchBackoffMinMs }),
      ...(this.init.watchBackoffMaxMs === undefined ? {} : { backoffMaxMs: this.init.watchBackoffMaxMs })
    })
    this.watchers.add(watcher)
    watcher.start()
    return async () => {
      if (this.watchers.delete(watcher)) await watcher.stop()
    }
  }

  async ensureImage (image: string, opts: { signal?: AbortSignal, imageId?: string } = {}): Promise<void> {
    // A start right after another of the same image need not ask the engine again.
    const key = `${image} ${opts.imageId ?? ''}`
    if ((this.imageSeenAt.get(key) ?? -Infinity) > performance.now() - IMAGE_CACHE_MS) return
    await ensureImage(this.docker, image, { ...opts, endpoint: this.endpoint })
    this.imageSeenAt.set(key, performance.now())
  }

  async imageId (reference: string, opts: { signal?: AbortSignal } = {}): Promise<string | undefined> {
    opts.signal?.throwIfAborted()
    return await localImageId(this.docker, reference, this.endpoint)
  }

  async exportVolume (name: string, image: string, opts: { signal?: AbortSignal } = {}): Promise<Readable> { return await this.volumes.export(name, image, opts) }
  async importVolume (name: string, labels: VolumeLabels, image: string, tar: Readable, opts: { signal?: AbortSignal } = {}): Promise<void> { await this.volumes.import(name, labels, image, tar, opts) }
  async removeVolume (name: string, opts: { signal?: AbortSignal } = {}): Promise<void> { await this.volumes.remove(name, opts) }
  async listVolumes (opts: { signal?: AbortSignal } = {}): Promise<VolumeInfo[]> { return await this.volumes.list(opts) }

  async stop (): Promise<void> {
    const watchers = [...this.watchers]
    this.watchers.clear()
    await Promise.all(watchers.map(async watcher => { await watcher.stop() }))
    this.agent?.destroy()
  }

  /** Creates a container from `options` and starts it; on any failure removes it again. */
  private async createAndStart (req: CreateRequest, options: Docker.ContainerCreateOptions, networkName: string, signal: AbortSignal | undefined): Promise<ContainerInfo> {
    const container = await this.docker.createContainer({ ...options, ...this.abortOption(signal) }).catch(err => { throw this.mapError(err) })
    try {
      await container.start(this.abortOption(signal))
      const inspected = await container.inspect(this.abortOption(signal))
      // The tag may have moved between the check and the create: the container says what it runs.
      if (req.imageId !== undefined && inspected.Image !== req.imageId) throw new ImageMismatchError(req.spec.image, req.imageId, inspected.Image)
      const info = fromInspect(inspected, this.init.host, networkName)
      if (info === undefined) throw new Error(`container ${options.name ?? ''} lost its meshd labels`)
      return info
    } catch (err) {
      // run() either returns a started replica or leaves nothing behind.
      await container.remove({ force: true }).catch(removeErr => {
        if (!isNotFound(removeErr)) this.init.log.error({ err: removeErr, container: container.id }, 'could not remove a container that failed to start')
      })
      throw this.mapError(err)
    }
  }

  /** Writes a replica's files where the engine will mount them from: this host's memory. */
  private async writeFiles (name: string, files: readonly ReplicaFile[]): Promise<string> {
    if (!this.endpoint.startsWith('unix://')) {
      throw new ReplicaFilesError('remote-engine', `the docker engine at ${this.endpoint} is not on this host, so it cannot mount the replica's files from this host's memory: run meshd on the engine's host, with its unix socket`)
    }
    return await this.files.write(name, files)
  }

  /**
   * The network a replica starts on, ensured before every start: one list call, and a
   * network removed since (docker network prune takes an unused one) is made again.
   */
  private async replicaNetwork (signal: AbortSignal | undefined): Promise<ReplicaNetwork> {
    signal?.throwIfAborted()
    this.ensuring ??= this.ensureNetwork().finally(() => { this.ensuring = undefined })
    const network = await this.ensuring
    signal?.throwIfAborted()
    return network
  }

  private async engineCpus (): Promise<number> {
    this.cpuCount ??= this.docker.info().then((info: { NCPU?: unknown }) => typeof info.NCPU === 'number' && info.NCPU > 0 ? info.NCPU : Infinity)
    return await this.cpuCount.catch((err: unknown) => {
      this.cpuCount = undefined
      throw this.mapError(err)
    })
  }

  private mapError (err: unknown): unknown {
    return toRuntimeError(err, this.endpoint)
  }

  private abortOption (signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
    return signal === undefined ? {} : { abortSignal: signal }
  }
}
