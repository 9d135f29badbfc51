// What Docker is asked to create for one replica, as plain data: a pure function of the
// request and of this node, tested without an engine.

import { join } from 'node:path'
import type Docker from 'dockerode'
import type { ResourceLimits, ServiceSpec } from '../../crdt/index.ts'
import { DEFAULT_GRACE_SECONDS, DEFAULT_PIDS_LIMIT, LOG_DRIVER, LOG_MAX_FILES, LOG_MAX_SIZE, REPLICA_DNS_DOMAIN } from './constants.ts'
import { LABELS, type CreateRequest, type ReplicaFile, type ReplicaNetwork, type VolumeLabels } from './types.ts'

/** Where a replica is created, and what of the engine shapes its options. */
export interface CreateContext {
  nodeName: string
  /** The node's replica network: the replica joins it, and asks the node (its gateway) for names. */
  network: Pick<ReplicaNetwork, 'name' | 'gateway'>
  /** The container's name (containerName). */
  name: string
  /** The reference to create from, when not spec.image (the image id a deploy recorded). */
  image?: string
  /** The engine's cpus: a cpu limit above them is no limit there, and Docker would refuse it. */
  engineCpus?: number
  /** The host directory holding req.files (ReplicaFiles.write), each file named by its index. */
  filesDir?: string
}

type LimitOptions = Pick<Docker.HostConfig, 'NanoCpus' | 'Memory' | 'MemorySwap' | 'PidsLimit'>

/** Docker's container name for a replica: meshd-<node>-<service>-<slot>-g<generation>-<suffix>. */
export function containerName (nodeName: string, req: CreateRequest, suffix: string): string {
  return `meshd-${safeNodeName(nodeName)}-${req.spec.name}-${req.slot}-g${req.generation}-${suffix}`
}

/** A node name as it may appear in a Docker object's name: every character Docker refuses becomes "-". */
export function safeNodeName (nodeName: string): string {
  // Docker names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*; a node name is free text.
  return nodeName.replace(/[^a-zA-Z0-9_.-]/g, '-')
}

// Service names and volume sources have no "_" (spec/): read from the right, the name
// says slot, source and service unambiguously, and the rest is the node.
const VOLUME_PART = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/

/**
 * Docker's name of the volume `source` of slot `slot` of `service` on `node`:
 * meshd-<node>_<service>_<source>_<slot>, e.g. meshd-n1_db_data_0. The node is in the name
 * because several nodes may share one engine (tests); "_" joins the parts because service
 * and source names may hold "-" ("a-b"+"c" and "a"+"b-c" would meet). Always a valid Docker
 * volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+) and at most 208 characters, under the 255 of a
 * file name the local driver makes of it. Throws RangeError for a service or source that
 * is not a spec's name, or a slot that is not a non-negative integer.
 */
export function volumeName (node: string, service: string, source: string, slot: number): string {
  if (!VOLUME_PART.test(service) || !VOLUME_PART.test(source) || !Number.isSafeInteger(slot) || slot < 0) {
    throw new RangeError(`volumeName: expected a service name, a volume name and a slot number, got ${JSON.stringify([service, source, slot])}`)
  }
  return `meshd-${safeNodeName(node)}_${service}_${source}_${slot}`
}

/** The Docker labels of a replica's volume. */
export function volumeLabels (labels: VolumeLabels): Record<string, string> {
  return { [LABELS.node]: labels.node, [LABELS.service]: labels.service, [LABELS.slot]: String(labels.slot), [LABELS.volume]: labels.source }
}

/**
 * The hostname of slot N of service S: "S-N", the name the replica DNS answers for that
 * slot. Undefined past 63 characters (a DNS label's most; the kernel refuses a hostname
 * over 64): Docker then names it after the container's id.
 */
export function replicaHostname (service: string, slot: number): string | undefined {
  const name = `${service}-${slot}`
  return name.length <= 63 ? name : undefined
}

/** The mounts of a replica's data: each volume of its slot (created with its labels on first use, from the image's content at the target) and each tmpfs. */
export function dataMounts (spec: ServiceSpec, nodeName: string, slot: number): Docker.MountSettings[] {
  // @types/dockerode asks for fields Docker does not (VolumeOptions.DriverConfig, a tmpfs's Source).
  const volumes = (spec.volumes ?? []).map((volume) => ({
    Type: 'volume',
    Source: volumeName(nodeName, spec.name, volume.source, slot),
    Target: volume.target,
    ReadOnly: volume.readOnly === true,
    VolumeOptions: { Labels: volumeLabels({ node: nodeName, service: spec.name, slot, source: volume.source }) }
  }) as Docker.MountSettings)
  const tmpfs = (spec.tmpfs ?? []).map((mount) => ({
    Type: 'tmpfs',
    Target: mount.target,
    ...(mount.size === undefined ? {} : { TmpfsOptions: { SizeBytes: mount.size } })
  }) as Docker.MountSettings)
  return [...volumes, ...tmpfs]
}

/** Container ports a replica serves: every port's target, plus the health check's port if it is not among them. */
export function exposedTargets (spec: ServiceSpec): number[] {
  const targets = spec.ports.map(port => port.target)
  const healthPort = spec.health?.port
  if (healthPort !== undefined) targets.push(healthPort)
  return [...new Set(targets)]
}

/** Docker's cgroup settings for a spec's limits: cpus capped at the engine's, memory without swap past it, DEFAULT_PIDS_LIMIT when pids is unset. */
export function limitOptions (limits: ResourceLimits | undefined, engineCpus = Infinity): LimitOptions {
  const cpus = limits?.cpus === undefined ? undefined : Math.min(limits.cpus, engineCpus)
  return {
    ...(cpus === undefined ? {} : { NanoCpus: Math.round(cpus * 1e9) }),
    // MemorySwap is memory plus swap: equal to Memory, the replica cannot page past its limit.
    ...(limits?.memory === undefined ? {} : { Memory: limits.memory, MemorySwap: limits.memory }),
    PidsLimit: limits?.pids ?? DEFAULT_PIDS_LIMIT
  }
}

/**
 * The search domains of a replica: a stack's service first looks a name up within its
 * stack ("db" is "db.shop.meshd", the stack's shop-db), then among all services.
 */
export function dnsSearch (spec: Pick<ServiceSpec, 'stack'>): string[] {
  return spec.stack === undefined ? [REPLICA_DNS_DOMAIN] : [`${spec.stack}.${REPLICA_DNS_DOMAIN}`, REPLICA_DNS_DOMAIN]
}

/** Where the file at `index` of a replica's files is on the host: named by its index, so no path of the spec reaches the host's filesystem. */
export function fileSource (filesDir: string, index: number): string {
  return join(filesDir, String(index))
}

/** A read-only bind mount of each file, from its place in `filesDir` to its path in the container. */
export function fileMounts (files: readonly ReplicaFile[], filesDir: string): Docker.MountSettings[] {
  return files.map((file, index) => ({ Type: 'bind', Source: fileSource(filesDir, index), Target: file.path, ReadOnly: true }))
}

/**
 * The create options of one replica: labelled, on the node's replica network with the node
 * as its name server, every target exposed and none published, limited, logs rotated,
 * never restarted by Docker, its files (already in `filesDir`) mounted read-only, its
 * slot's volumes and its tmpfs mounted, named "S-N" (replicaHostname).
 */
export function createOptions (req: CreateRequest, init: CreateContext): Docker.ContainerCreateOptions {
  const { spec } = req
  const files = req.files ?? []
  const { filesDir } = init
  if (files.length > 0 && filesDir === undefined) throw new Error('createOptions: a replica with files needs the directory they were written to')
  // Exposed, not published: inspect and list then say which ports the replica serves, and
  // only the node's mesh reaches them, on the container's address.
  const exposed = Object.fromEntries(exposedTargets(spec).map(target => [`${target}/tcp`, {}]))
  const { network } = init
  const mounts = [...(files.length === 0 || filesDir === undefined ? [] : fileMounts(files, filesDir)), ...dataMounts(spec, init.nodeName, req.slot)]
  const hostname = replicaHostname(spec.name, req.slot)
  return {
    name: init.name,
    ...(hostname === undefined ? {} : { Hostname: hostname }),
    Image: init.image ?? spec.image,
    ...(spec.command === undefined ? {} : { Cmd: spec.command }),
    ...processOptions(spec, req.stopGraceSeconds),
    // Where the replica runs, as Swarm's {{.Node.Hostname}} and {{.Task.Slot}} templates would say.
    Env: [
      ...Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
      `MESHD_NODE=${init.nodeName}`, `MESHD_SERVICE=${spec.name}`, `MESHD_SLOT=${req.slot}`, `MESHD_GENERATION=${req.generation}`
    ],
    // meshd's labels last: a user label must not disown a container.
    Labels: {
      ...spec.labels,
      [LABELS.service]: spec.name,
      [LABELS.slot]: String(req.slot),
      [LABELS.node]: init.nodeName,
      [LABELS.generation]: String(req.generation),
      ...(req.imageId === undefined ? {} : { [LABELS.imageId]: req.imageId }),
      ...(req.specHash === undefined ? {} : { [LABELS.specHash]: req.specHash }),
      ...(spec.stack === undefined ? {} : { [LABELS.stack]: spec.stack })
    },
    ExposedPorts: exposed,
    HostConfig: {
      NetworkMode: network.name,
      // Docker writes its embedded resolver (127.0.0.11) into resolv.conf and forwards to
      // these: the node answers service names on its gateway.
      Dns: [network.gateway],
      DnsSearch: dnsSearch(spec),
      // The reconciler replaces failed replicas; a Docker restart would race it.
      RestartPolicy: { Name: 'no' },
      ...limitOptions(spec.resources?.limits, init.engineCpus),
      LogConfig: { Type: LOG_DRIVER, Config: { 'max-size': LOG_MAX_SIZE, 'max-file': String(LOG_MAX_FILES) } },
      // Only where the files are reaches Docker, never what they hold.
      ...(mounts.length === 0 ? {} : { Mounts: mounts })
    },
    NetworkingConfig: { EndpointsConfig: { [network.name]: {} } }
  }
}

/**
 * How the replica's process starts and stops. StopTimeout is always set, so a `docker stop`
 * by hand waits as long as meshd does; an empty entrypoint stays empty, which Docker reads
 * as "reset the image's".
 */
function processOptions (spec: ServiceSpec, graceSeconds = DEFAULT_GRACE_SECONDS): Pick<Docker.ContainerCreateOptions, 'Entrypoint' | 'User' | 'WorkingDir' | 'StopSignal' | 'StopTimeout'> {
  return {
    ...(spec.entrypoint === undefined ? {} : { Entrypoint: spec.entrypoint }),
    ...(spec.user === undefined ? {} : { User: spec.user }),
    ...(spec.workingDir === undefined ? {} : { WorkingDir: spec.workingDir }),
    ...(spec.stopSignal === undefined ? {} : { StopSignal: spec.stopSignal }),
    StopTimeout: graceSeconds
  }
}
