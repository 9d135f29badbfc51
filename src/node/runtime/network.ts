// A node's replica network on the engine: created once with the layout of
// network-layout.ts, adopted as is afterwards, and never recreated behind the back of the
// containers attached to it.

import type Docker from 'dockerode'
import { REPLICA_POOL } from './constants.ts'
import { ReplicaNetworkError, statusOf } from './errors.ts'
import { bridgeName, parseCidr, poolSubnets, replicaNetworkName, subnetLayout, subnetProblem, subnetsOverlap } from './network-layout.ts'
import { LABELS, NETWORK_ROLE, type ReplicaNetwork } from './types.ts'

// The bridge driver's options, by Docker's names.
const BRIDGE_OPTIONS = {
  /** Containers of one bridge cannot reach each other: replicas talk only through the node's mesh. */
  icc: 'com.docker.network.bridge.enable_icc',
  name: 'com.docker.network.bridge.name',
  /** NAT to the host's addresses, so replicas still reach the outside world. */
  masquerade: 'com.docker.network.bridge.enable_ip_masquerade'
} as const

interface EnsureOptions { subnet?: string, signal?: AbortSignal }

/**
 * This node's replica network: the one labelled for it when there is one (on the subnet
 * asked for, if any), else a new one on that subnet or on the first /20 of the pool, from
 * the node's slot on, that overlaps no network of the engine.
 */
export async function ensureReplicaNetwork (docker: Docker, nodeName: string, opts: EnsureOptions = {}): Promise<ReplicaNetwork> {
  const { subnet: asked, signal } = opts
  const problem = asked === undefined ? undefined : subnetProblem(asked)
  if (problem !== undefined) throw new ReplicaNetworkError('invalid-subnet', `the replica network of node "${nodeName}": ${problem}`)
  const networks = await docker.listNetworks(signal === undefined ? {} : { abortSignal: signal })
  const own = ownNetwork(networks, nodeName)
  if (own !== undefined) return adopt(own, nodeName, asked)
  const name = replicaNetworkName(nodeName)
  if (networks.some(network => network.Name === name)) throw nameTaken(name, nodeName)

  const candidates = asked === undefined ? poolSubnets(nodeName) : [asked]
  for (const subnet of candidates) {
    const holder = networks.find(network => subnetsOf(network).some(other => subnetsOverlap(subnet, other)))
    if (holder !== undefined) {
      if (asked !== undefined) throw subnetTaken(subnet, holder.Name, nodeName)
      continue
    }
    try {
      return await create(docker, nodeName, subnet, signal)
    } catch (err) {
      const status = statusOf(err)
      // 403: the engine refuses a subnet overlapping one taken since the list above.
      if (status === 403 && asked === undefined) continue
      if (status === 403) throw subnetTaken(subnet, undefined, nodeName, err)
      // 409: the name was taken since the list: by this node's runtime in another process, or by someone else.
      if (status === 409) {
        const raced = ownNetwork(await docker.listNetworks(signal === undefined ? {} : { abortSignal: signal }), nodeName)
        if (raced !== undefined) return adopt(raced, nodeName, asked)
        throw nameTaken(name, nodeName, err)
      }
      throw err
    }
  }
  throw new ReplicaNetworkError('pool-exhausted', `no /20 of ${REPLICA_POOL} is free for the replica network of node "${nodeName}": every one overlaps a network of this engine (remove unused ones with docker network prune, or give the node a subnet)`)
}

/** Removes every replica network of this node; absent is not an error, one with containers attached is (the engine's 403). */
export async function removeReplicaNetwork (docker: Docker, nodeName: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
  const abort = opts.signal === undefined ? {} : { abortSignal: opts.signal }
  const networks = await docker.listNetworks({ filters: { label: [`${LABELS.node}=${nodeName}`, `${LABELS.network}=${NETWORK_ROLE}`] }, ...abort })
  for (const network of networks) {
    await docker.getNetwork(network.Id).remove(abort).catch((err: unknown) => {
      if (statusOf(err) !== 404) throw err
    })
  }
}

/** The network labelled as this node's replica network; the one of the expected name first, should there be several. */
function ownNetwork (networks: Docker.NetworkInspectInfo[], nodeName: string): Docker.NetworkInspectInfo | undefined {
  const own = networks.filter(network => network.Labels?.[LABELS.node] === nodeName && network.Labels?.[LABELS.network] === NETWORK_ROLE)
  return own.find(network => network.Name === replicaNetworkName(nodeName)) ?? own[0]
}

function adopt (network: Docker.NetworkInspectInfo, nodeName: string, asked: string | undefined): ReplicaNetwork {
  const config = network.IPAM?.Config?.find(entry => parseCidr(entry.Subnet ?? '') !== undefined)
  const subnet = config?.Subnet
  if (subnet === undefined) {
    throw new ReplicaNetworkError('foreign-layout', `Docker network "${network.Name}" is labelled as the replica network of node "${nodeName}" but has no IPv4 subnet: remove it (docker network rm ${network.Name}) and start the node again`)
  }
  if (asked !== undefined && asked !== subnet) {
    throw new ReplicaNetworkError('subnet-mismatch', `the replica network of node "${nodeName}" (Docker network "${network.Name}") is on ${subnet}, not on ${asked} as asked: ` +
      `ask for ${subnet}, or move it by removing the network (docker network rm ${network.Name}, once its containers are gone) and starting the node again`)
  }
  const layout = subnetLayout(subnet)
  if (subnetProblem(subnet) !== undefined || config?.IPRange !== layout.ipRange) {
    throw new ReplicaNetworkError('foreign-layout', `Docker network "${network.Name}" is labelled as the replica network of node "${nodeName}" but gives containers ${config?.IPRange ?? subnet} of ${subnet}, not ${layout.ipRange}: remove it (docker network rm ${network.Name}, once its containers are gone) and start the node again`)
  }
  return {
    name: network.Name,
    id: network.Id,
    subnet,
    gateway: config.Gateway ?? layout.gateway,
    // Docker's own name for a bridge it named itself.
    bridge: network.Options?.[BRIDGE_OPTIONS.name] ?? `br-${network.Id.slice(0, 12)}`,
    serviceRange: layout.serviceRange
  }
}

async function create (docker: Docker, nodeName: string, subnet: string, signal: AbortSignal | undefined): Promise<ReplicaNetwork> {
  const layout = subnetLayout(subnet)
  const name = replicaNetworkName(nodeName)
  const bridge = bridgeName(nodeName)
  const created = await docker.createNetwork({
    Name: name,
    // API 1.41 creates a second network of the same name without it.
    CheckDuplicate: true,
    Driver: 'bridge',
    Labels: { [LABELS.node]: nodeName, [LABELS.network]: NETWORK_ROLE },
    IPAM: { Driver: 'default', Config: [{ Subnet: layout.subnet, IPRange: layout.ipRange, Gateway: layout.gateway }] },
    Options: { [BRIDGE_OPTIONS.icc]: 'false', [BRIDGE_OPTIONS.name]: bridge, [BRIDGE_OPTIONS.masquerade]: 'true' },
    ...(signal === undefined ? {} : { abortSignal: signal })
  })
  return { name, id: created.id, subnet: layout.subnet, gateway: layout.gateway, bridge, serviceRange: layout.serviceRange }
}

function subnetsOf (network: Docker.NetworkInspectInfo): string[] {
  return (network.IPAM?.Config ?? []).flatMap(entry => entry.Subnet ?? [])
}

function subnetTaken (subnet: string, holder: string | undefined, nodeName: string, cause?: unknown): ReplicaNetworkError {
  const other = holder === undefined ? 'another network of this engine' : `Docker network "${holder}"`
  return new ReplicaNetworkError('subnet-taken', `the replica network of node "${nodeName}" cannot use ${subnet}: it overlaps ${other} (give the node another subnet, or none to let it choose)`, { cause })
}

function nameTaken (name: string, nodeName: string, cause?: unknown): ReplicaNetworkError {
  return new ReplicaNetworkError('name-taken', `the replica network of node "${nodeName}" would be "${name}", but a Docker network of that name is not labelled meshd.node=${nodeName} (another node whose name differs only in characters Docker refuses?): remove or rename it`, { cause })
}
