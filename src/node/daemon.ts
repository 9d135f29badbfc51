// The daemon: starts the parts in order (crdt → gossip → reconciler → mesh → API) and stops
// them in reverse. Containers outlive the daemon; the next start adopts them.

import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { ClusterDocument } from '../crdt/index.ts'
import type { Logger } from '../crdt/index.ts'
import { gossip, loadOrCreateSecret, tokenToSecret, writeSecret } from '../gossip/index.ts'
import type { Gossip } from '../gossip/index.ts'
import { buildApi } from './api/index.ts'
import type { MemberView } from './api/index.ts'
import { isLoopback } from './config.ts'
import type { DaemonConfig } from './config.ts'
import { loadIdentity } from './identity.ts'
import { logger } from './logger.ts'
import { Mesh } from './mesh.ts'
import { Reconciler } from './reconciler/index.ts'
import { allowedToStart, awaitingHandoff, generationsOf, moveParallelism, ownersOf, placeCluster, slotsOf } from './reconciler/placement.ts'
import { RolloutDriver } from './rollout.ts'
import type { ClusterView } from './reconciler/placement.ts'
import type { Placement } from '../placement/index.ts'
import { dockerRuntime, RuntimeUnavailableError } from './runtime/index.ts'
import type { Runtime } from './runtime/index.ts'
import { resolveHealth } from './spec/index.ts'

/** How long a node where a service's replicas keep failing is passed over for it. */
const AVOID_MS = 60_000

/** A start-up failure the CLI reports as one clear message. */
export class StartupError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'StartupError'
  }
}

export class Daemon {
  readonly config: DaemonConfig
  private readonly log: Logger
  private id = ''
  private runtime: Runtime | undefined
  private document: ClusterDocument | undefined
  private gossip: Gossip | undefined
  private view: ClusterView | undefined
  private reconciler: Reconciler | undefined
  private mesh: Mesh | undefined
  private rollouts: RolloutDriver | undefined
  private api: FastifyInstance | undefined

  constructor (config: DaemonConfig) {
    this.config = config
    this.log = logger('meshd:node', { node: config.name })
  }

  /** The node id (libp2p peer id), known after start(). */
  get nodeId (): string { return this.id }

  /** The API's base URL. */
  get url (): string { return `http://${this.config.host}:${this.config.apiPort}` }

  async start (): Promise<void> {
    const { config } = this
    const identity = await loadIdentity(config.dataDir)
    this.id = identity.id

    this.runtime = dockerRuntime({ host: config.host, nodeName: config.name, log: logger('meshd:node:runtime') })
    await this.runtime.ping().catch((err: Error) => {
      throw err instanceof RuntimeUnavailableError
        ? new StartupError(`cannot reach the Docker Engine: ${err.message}\n` +
          'Start it first: `sudo systemctl start docker`, or `sudo dockerd &` on a machine without systemd ' +
          '(scripts/setup.sh installs and starts it).')
        : err
    })

    const psk = await this.clusterSecret()
    this.document = new ClusterDocument({ dataDir: config.dataDir, log: logger('meshd:crdt') })
    await this.document.start()
    this.document.putNode(this.id, {
      name: config.name, host: config.host, apiPort: config.apiPort, p2pPort: config.p2pPort,
      labels: config.labels, capacity: config.capacity, draining: false, startedAt: Date.now()
    })

    this.gossip = gossip({
      privateKey: identity.privateKey, host: config.host, port: config.p2pPort, psk, document: this.document,
      join: config.join, mdns: config.mdns, log: logger('meshd:gossip', { node: config.name })
    })
    await this.gossip.start().catch((err: NodeJS.ErrnoException) => {
      throw new StartupError(err.code === 'EADDRINUSE' || /EADDRINUSE/.test(err.message)
        ? `--p2p-port: ${config.host}:${config.p2pPort} is already in use (another meshd?)`
        : `cannot start the peer-to-peer host on ${config.host}:${config.p2pPort}: ${err.message}`)
    })

    const members = this.gossip
    this.view = { document: this.document, self: this.id, memberState: (id) => members.memberState(id) }
    const view = this.view
    this.reconciler = new Reconciler({
      nodeId: this.id, nodeName: config.name, document: this.document, runtime: this.runtime,
      log: logger('meshd:node:reconciler'), resolveHealth,
      onCrashLoop: (service) => { this.avoid(service) },
      assign: (services) => {
        const placement = placeCluster(view)
        const owners = ownersOf(placement)
        const mayStart = allowedToStart(placement, view, moveParallelism(view.document))
        const generationOf = generationsOf(view.document)
        return {
          // A slot held back by the rebalancing throttle is not desired here yet; its old holder keeps it.
          desired: slotsOf(placement, services, this.id, generationOf).filter((slot) => mayStart(slot.key)),
          hold: (key) => {
            const at = key.lastIndexOf('#')
            return awaitingHandoff(owners.get(key), view, key, generationOf(key.slice(0, at), Number(key.slice(at + 1))))
          }
        }
      }
    })
    for (const event of ['node:alive', 'node:suspect', 'node:dead'] as const) {
      this.gossip.on(event, ({ id }) => {
        this.log.info({ member: id, name: this.document?.node(id)?.name, state: event.slice(5) }, 'member state changed')
        this.reconciler?.markDirty()
        this.mesh?.refresh()
      })
    }
    await this.reconciler.start()

    this.mesh = new Mesh({
      host: config.host, self: this.id, document: this.document, memberState: (id) => members.memberState(id),
      log: logger('meshd:proxy', { node: config.name }), idleTimeoutMs: config.meshIdleTimeoutMs
    })
    await this.mesh.start()
    const mesh = this.mesh

    this.rollouts = new RolloutDriver({
      document: this.document, self: this.id, memberState: (id) => members.memberState(id),
      placement: () => placeCluster(view), log: logger('meshd:rollout', { node: config.name })
    })
    this.rollouts.start()

    const token = config.apiToken ?? (isLoopback(config.host) ? undefined : await this.apiToken())
    this.api = buildApi({
      host: config.host, port: config.apiPort, node: { id: this.id, name: config.name },
      document: this.document, members: () => this.members(), placement: () => this.placement(), mesh, log: logger('meshd:node:api'), token
    })
    await this.api.listen({ host: config.host, port: config.apiPort }).catch((err: NodeJS.ErrnoException) => {
      throw new StartupError(err.code === 'EADDRINUSE'
        ? `--api-port: ${config.host}:${config.apiPort} is already in use (another meshd?)`
        : `cannot listen on ${config.host}:${config.apiPort}: ${err.message}`)
    })
    this.log.info({ id: this.id, api: this.url, dataDir: config.dataDir }, 'meshd started')
  }

  /** Stops every part in reverse order; idempotent. Containers keep running. */
  async stop (): Promise<void> {
    await this.api?.close()
    this.rollouts?.stop()
    await this.mesh?.stop()
    await this.reconciler?.stop()
    await this.gossip?.stop()
    await this.runtime?.stop()
    await this.document?.stop()
    this.api = this.rollouts = this.mesh = this.reconciler = this.gossip = this.runtime = this.document = undefined
    this.log.info('meshd stopped')
  }

  /**
   * A replica of `service` keeps failing here: ask placement to put the service on other
   * nodes for AVOID_MS (it stays here when no other node can take it).
   */
  private avoid (service: string): void {
    const document = this.document
    const record = document?.node(this.id)
    if (document === undefined || record === undefined) return
    const now = Date.now()
    if ((record.avoid?.[service] ?? 0) > now + AVOID_MS / 2) return
    const avoid = Object.fromEntries(Object.entries(record.avoid ?? {}).filter(([, until]) => until > now))
    document.putNode(this.id, { ...record, avoid: { ...avoid, [service]: now + AVOID_MS } })
    this.log.warn({ service, forMs: AVOID_MS }, 'replicas keep failing on this node: placing the service elsewhere for a while')
  }

  /** Where every slot of the cluster belongs, as this node computes it. */
  private placement (): Placement {
    return this.view === undefined ? { assignments: [], unplaced: [] } : placeCluster(this.view)
  }

  /** Members of the cluster with the failure detector's view of each. */
  private members (): MemberView[] {
    const nodes = this.document?.nodes() ?? {}
    const drains = this.document?.drains() ?? {}
    return Object.entries(nodes).map(([id, node]) => ({
      id, name: node.name, host: node.host, labels: node.labels,
      state: this.gossip?.memberState(id) ?? (id === this.id ? 'alive' as const : 'dead' as const),
      draining: drains[id]?.draining ?? false,
      ...(node.capacity === undefined ? {} : { capacity: node.capacity }),
      ...avoidedServices(node.avoid)
    })).sort((a, b) => a.name.localeCompare(b.name))
  }

  /** The cluster secret: from --secret when joining, else the data dir's (created on the first node). */
  private async clusterSecret (): Promise<Uint8Array> {
    const { secret, dataDir } = this.config
    if (secret === undefined) return await loadOrCreateSecret(dataDir)
    let psk: Uint8Array
    try {
      psk = tokenToSecret(secret)
    } catch (err) {
      throw new StartupError(`--secret: ${(err as Error).message}`)
    }
    const existing = await readFile(join(dataDir, 'swarm.key')).catch(() => undefined)
    if (existing !== undefined && !Buffer.from(existing).equals(Buffer.from(psk))) {
      throw new StartupError(`--secret: ${dataDir} already belongs to a cluster with another secret; use a fresh --data-dir to join a different cluster`)
    }
    if (existing === undefined) await writeSecret(dataDir, psk)
    return psk
  }

  /** The API token for a non-loopback API: kept in the data dir, created once. */
  private async apiToken (): Promise<string> {
    const path = join(this.config.dataDir, 'api.token')
    const existing = await readFile(path, 'utf8').catch(() => '')
    if (existing.trim() !== '') return existing.trim()
    const token = randomBytes(24).toString('base64url')
    await writeFile(path, `${token}\n`, { mode: 0o600 })
    this.log.info({ path }, 'API token created; clients pass it as MESHD_TOKEN')
    return token
  }
}

/** `{ avoiding: [...] }` for the services a node still passes over, or nothing. */
function avoidedServices (avoid: Record<string, number> | undefined): { avoiding?: string[] } {
  const now = Date.now()
  const services = Object.entries(avoid ?? {}).filter(([, until]) => until > now).map(([service]) => service).sort()
  return services.length === 0 ? {} : { avoiding: services }
}
