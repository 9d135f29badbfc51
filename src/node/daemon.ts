// The daemon wires a node's parts and nothing else: it builds them, starts them in
// order (engine → document → gossip → reconciler → API → mesh → rollouts) and stops
// them in reverse. What a node decides lives in cluster/; what it does, in the part
// that does it. Containers outlive the daemon; the next start adopts them.

import { ClusterDocument } from '../crdt/index.ts'
import { gossip } from '../gossip/index.ts'
import { nodeLogger, partLogger } from '../logger.ts'
import type { Logger } from '../logger.ts'
import { ApiServer } from './api/index.ts'
import { Autoscaler } from './autoscale/index.ts'
import { assignmentOf, clusterView } from './cluster/index.ts'
import type { ClusterView } from './cluster/index.ts'
import { nodeRecord } from './config.ts'
import type { DaemonConfig } from './config.ts'
import { AuditLog, TokenIndex } from './auth/index.ts'
import { ClusterId, clusterSecret, ensureAdminToken, loadIdentity, lockDataDir, secureDataDir } from './datadir/index.ts'
import { Lifecycle } from './lifecycle.ts'
import { MemberJanitor } from './membership/index.ts'
import { ReplicaNames, ReplicaNet } from './network/index.ts'
import { Mesh } from './mesh/index.ts'
import { Ingress } from './ingress/index.ts'
import { Buckets, constants as metricsConstants, documentSize, NodeMetrics, ReplicaStatsService } from './metrics/index.ts'
import { Reconciler } from './reconciler/index.ts'
import { RolloutDriver } from './rollout/index.ts'
import { dockerRuntime } from './runtime/index.ts'
import { resolveHealth } from './spec/index.ts'
import { nodeSeal, sealLegacyRecords, Trust } from './trust/index.ts'
import { engine, p2pFailure } from './startup.ts'
import { meshKeyOf } from './mesh/index.ts'
import { replicaFiles, secretsKeyOf } from './stored/index.ts'
import { TransferService, transferKeyOf } from './transfer/index.ts'
import { statefulParts } from './stateful.ts'
import { backupKeyOf } from './backup/index.ts'
import { EventBus, EventService, memberEvent, memberPeers } from './events/index.ts'
import { ClusterLogs } from './logs/index.ts'
import { AlertDriver } from './alerts/index.ts'
import { CertDriver, CertificateContexts } from './certs/index.ts'
import type { IngressCertificates } from './certs/index.ts'

export { StartupError } from './errors.ts'

const MEMBER_EVENTS = { 'node:alive': 'alive', 'node:suspect': 'suspect', 'node:dead': 'dead' } as const

export class Daemon {
  readonly config: DaemonConfig
  private readonly log: Logger
  private readonly parts = new Lifecycle()
  private id = ''
  private transferService: TransferService | undefined
  private certificates: CertificateContexts | undefined

  constructor (config: DaemonConfig) {
    this.config = config
    this.log = nodeLogger(config.name)
  }

  /** The node id (libp2p peer id), known after start(). */
  get nodeId (): string { return this.id }

  /** The node-to-node transfer channel (pull/push of archives, handlers per resource kind), known after start(). */
  get transfer (): TransferService | undefined { return this.transferService }

  /** The ingress' TLS contexts and ACME challenge answers, built from the document; known after start(). */
  get ingressCertificates (): IngressCertificates | undefined { return this.certificates }

  /** The API's base URL. */
  get url (): string { return `${this.config.apiTls === undefined ? 'http' : 'https'}://${this.config.host}:${this.config.apiPort}` }

  /** Starts every part in order; on failure the parts already started are stopped by stop(). */
  async start (): Promise<void> {
    if (this.id !== '') return
    const { config, log, parts } = this
    const part = (name: string): Logger => partLogger(log, name)
    const fixed = await secureDataDir(config.dataDir)
    if (fixed.length > 0) log.warn({ paths: fixed }, 'made the data dir 0700 and its files 0600')
    const lock = await lockDataDir(config.dataDir)
    await parts.start({ start: () => {}, stop: async () => { await lock.release() } })
    const identity = await loadIdentity(config.dataDir)
    this.id = identity.id

    const runtime = dockerRuntime({ host: config.host, nodeName: config.name, log: part('runtime') })
    await parts.start(engine(runtime))
    const replicaNet = await parts.start(new ReplicaNet(runtime, config.replicaSubnet, part('network')))

    const psk = await clusterSecret(config.dataDir, config.secret)
    // The founder made the secret and joins no one; everyone else learns the cluster from a peer.
    const cluster = new ClusterId(config.dataDir, log)
    cluster.load(config.secret === undefined && config.join.length === 0)
    const document = await parts.start(new ClusterDocument({ dataDir: config.dataDir, log: part('crdt'), seal: nodeSeal(this.id, identity.privateKey) }))
    const legacy = sealLegacyRecords(document)
    if (legacy > 0) log.info({ records: legacy }, 'sealed the records of a data dir from before records were sealed')
    // The volume data this node holds outlives a restart (its containers are adopted).
    const holds = document.node(this.id)?.holds
    document.putNode(this.id, { ...nodeRecord(config, Date.now()), ...(holds === undefined ? {} : { holds }) })
    const trust = await parts.start(new Trust(document, part('trust')))
    await parts.start(cluster.claimingFor(document))
    await ensureAdminToken(config.dataDir, document, config.name, this.id, log)

    const members = gossip({
      privateKey: identity.privateKey, host: config.host, port: config.p2pPort, psk, document,
      join: config.join, mdns: config.mdns, log: part('gossip'), cluster,
      banned: (id) => trust.snapshot().removals[id] !== undefined
    })
    await parts.start(members).catch((err: NodeJS.ErrnoException) => { throw p2pFailure(err, config.host, config.p2pPort) })
    const view = (): ClusterView => clusterView(trust.snapshot(), this.id, (id) => members.memberState(id), Date.now())

    const events = new EventBus({ node: config.name, log: part('events') })
    const secretsKey = secretsKeyOf(psk)
    const transfer = new TransferService({ key: transferKeyOf(psk), self: this.id, log: part('transfer'), ...ownAddress(config.host) })
    this.transferService = transfer
    const stored = () => ({ secrets: trust.secrets(), configs: trust.configs() })
    const certs = { certs: () => trust.certs(), acme: () => trust.acme() }
    this.certificates = new CertificateContexts({ ...certs, secretsKey, log: part('certs') })
    const stateful = statefulParts({
      nodeId: this.id, nodeName: config.name, dataDir: config.dataDir, secret: psk, document, runtime, transfer, view,
      service: (name) => trust.service(name), containerOf: (key) => reconciler.containerOf(key), wake: () => { reconciler.markDirty() },
      tls: config.apiTls !== undefined, log: part
    })
    const reconciler = new Reconciler({
      nodeId: this.id, nodeName: config.name, document, runtime, log: part('reconciler'), resolveHealth,
      assign: () => assignmentOf(view()), service: (name) => trust.service(name),
      files: (spec) => replicaFiles(spec, stored(), secretsKey), volumes: stateful.keeper, events
    })
    const reconcileTimes = new Buckets(metricsConstants.RECONCILE_BUCKETS_S)
    reconciler.on('reconcile:done', ({ ms }) => { reconcileTimes.observe(ms / 1000) })
    const mesh = new Mesh({
      host: config.host, document, view, log: part('mesh'), idleTimeoutMs: config.meshIdleTimeoutMs,
      meshPort: config.meshPort, meshKey: meshKeyOf(psk),
      network: () => replicaNet.local(), addresses: async (wanted) => { await replicaNet.addresses(wanted) }
    })
    const ingress = new Ingress({ host: config.host, httpPort: config.httpPort, httpsPort: config.httpsPort, document, view, log: part('ingress'), meshKey: meshKeyOf(psk), certificates: this.certificates })
    // Before the reconciler and the mesh start, so that no verdict in between is missed.
    const onMember = Object.entries(MEMBER_EVENTS).map(([event, state]) => [event as keyof typeof MEMBER_EVENTS, ({ id }: { id: string }): void => {
      const node = document.node(id)
      log.info({ member: id, name: node?.name, state: members.memberState(id) }, 'member state changed')
      events.emit(memberEvent(state, node?.name ?? id, node?.startedAt))
      reconciler.markDirty()
      mesh.refresh()
      ingress.refresh()
    }] as const)
    await parts.start({
      start: () => { for (const [event, listener] of onMember) members.on(event, listener) },
      stop: () => { for (const [event, listener] of onMember) members.off(event, listener) }
    })
    await parts.start(reconciler)
    const tokens = await parts.start(new TokenIndex(document, () => trust.tokens()))
    const audit = await parts.start(new AuditLog(config.dataDir, part('audit')))
    const logs = new ClusterLogs({ self: this.id, view, transfer, runtime, tls: config.apiTls !== undefined, log: part('logs') })
    const front = {
      host: config.host, port: config.apiPort, hostNames: config.apiHostNames, allowOrigins: config.apiAllowOrigins,
      ...(config.apiTls === undefined ? {} : { tls: config.apiTls })
    }
    // Read when scraped (and prom-client loaded then): nothing runs for metrics between scrapes.
    const metrics = new NodeMetrics({
      view, mesh: () => mesh.stats(), ingress: () => ingress.stats(), gossip: () => members.stats(), documentBytes: documentSize(document),
      failures: () => reconciler.failuresByService(), reconcile: reconcileTimes
    })
    const stats = new ReplicaStatsService({ self: { id: this.id, name: config.name }, view, key: transferKeyOf(psk), tls: config.apiTls !== undefined, ...ownAddress(config.host), mesh: () => mesh.stats(), waiting: () => mesh.waiting() })
    await parts.start(new ApiServer({
      host: config.host, port: config.apiPort, node: { id: this.id, name: config.name },
      document, view, mesh, ingress: () => ingress.stats(), log: part('api'), front, tokens, audit, allowLowPorts: config.allowLowPorts, problems: () => trust.problems(),
      resolveImage: async (image, opts) => await runtime.imageId(image, opts),
      addresses: (services) => replicaNet.serviceAddresses(services), secretsKey, stored, transfer, volumeArchives: stateful.archives,
      backupKey: backupKeyOf(psk), clusterId: () => cluster.id(), logs,
      records: () => ({ services: trust.snapshot().services, tokens: trust.tokens(), alerts: trust.alerts(), ...stored() }),
      events: new EventService({
        bus: events, key: transferKeyOf(psk), self: this.id, log: part('events'), ...ownAddress(config.host),
        members: () => memberPeers(trust.snapshot().nodes, this.id, config.apiTls !== undefined, (id) => trust.snapshot().removals[id] !== undefined)
      }),
      metrics, metricsPublic: config.metricsPublic, stats, alerts: { rules: () => trust.alerts(), states: () => trust.alertStates() }, certs
    }))
    // After the API: a service publishing a port the API needs is a mesh problem, never a failed start.
    await parts.start(mesh)
    // After the mesh, like it: a port it cannot bind is retried, never a failed start.
    await parts.start(ingress)
    await parts.start(new ReplicaNames({ document, view, network: replicaNet, log: part('dns'), ...(config.dnsForward === undefined ? {} : { upstreams: config.dnsForward }) }))
    await parts.start(new RolloutDriver({ document, view, log: part('rollout'), events }))
    await parts.start(new Autoscaler({ document, view, samples: async () => await stats.samples(), log: part('autoscale'), events }))
    await parts.start(new AlertDriver({
      document, view, rules: () => trust.alerts(), states: () => trust.alertStates(), log: part('alerts'), events, externalURL: this.url, secretsKey, ...ownAddress(config.host),
      cpu: async () => (await stats.gather()).replicas,
      traffic: async () => new Map([...await stats.samples()].map(([id, sample]) => [id, sample.mesh.map((m) => ({ service: m.service, connections: m.connections ?? 0, errors: m.errors ?? 0 }))]))
    }))
    await parts.start(new CertDriver({ document, view, ...certs, secretsKey, log: part('certs'), events, ...(config.acme === undefined ? {} : { settings: config.acme }) }))
    await parts.start(stateful.backups)
    await parts.start(new MemberJanitor({ document, view, log: part('members'), reapAfterMs: config.reapAfterMs }))
    log.info({ id: this.id, api: this.url, dataDir: config.dataDir }, 'meshd started')
  }

  /** Stops every started part in reverse order; idempotent. Containers keep running. */
  async stop (): Promise<void> {
    await this.parts.stop()
    if (this.id !== '') this.log.info('meshd stopped')
    this.id = ''
    this.transferService = undefined
    this.certificates = undefined
  }
}

/** Client sockets bind to the node's own address, unless it listens on every address. */
function ownAddress (host: string): { localAddress?: string } {
  return host === '0.0.0.0' || host === '::' ? {} : { localAddress: host }
}
