import type Docker from 'dockerode'
import { LABELS, type ContainerInfo } from './types.ts'

type Identity = Pick<ContainerInfo, 'service' | 'slot' | 'generation' | 'node' | 'specHash'>

/** The meshd identity carried by a container's labels; undefined when it is not a meshd container. */
export function identityOf (labels: Record<string, string> | null | undefined): Identity | undefined {
  const service = labels?.[LABELS.service]
  const slot = Number(labels?.[LABELS.slot])
  const generation = Number(labels?.[LABELS.generation])
  if (service === undefined || !Number.isInteger(slot) || !Number.isInteger(generation)) return undefined
  const specHash = labels?.[LABELS.specHash]
  return { service, slot, generation, node: labels?.[LABELS.node] ?? '', ...(specHash === undefined ? {} : { specHash }) }
}

/**
 * ContainerInfo from `docker inspect`; undefined when the container carries no meshd labels.
 * `networkName` is this node's replica network, `host` the node's address (for containers
 * from before replica networks, which published their ports there).
 */
export function fromInspect (info: Docker.ContainerInspectInfo, host: string, networkName: string): ContainerInfo | undefined {
  const identity = identityOf(info.Config?.Labels)
  if (identity === undefined) return undefined
  const state = info.State?.Status ?? 'unknown'
  const ip = state === 'running' ? info.NetworkSettings?.Networks?.[networkName]?.IPAddress || undefined : undefined
  const published: ContainerInfo['ports'] = []
  // Ports is null for a container that is not running.
  for (const [key, bindings] of Object.entries(info.NetworkSettings?.Ports ?? {})) {
    const binding = bindings?.[0]
    if (binding === undefined || binding.HostPort === '') continue
    published.push({ target: parseInt(key, 10), endpoint: endpointOf(binding.HostIp, binding.HostPort, host) })
  }
  const startedAt = info.State?.StartedAt
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    ...identity,
    state,
    ports: ip === undefined ? sortByTarget(published) : servedPorts(ip, Object.keys(info.Config?.ExposedPorts ?? {}).flatMap(tcpTarget)),
    ...(ip === undefined ? {} : { ip }),
    ...(state === 'exited' || state === 'dead' ? { exitCode: info.State.ExitCode } : {}),
    ...(info.State?.OOMKilled === true ? { oomKilled: true as const } : {}),
    ...(startedAt && !startedAt.startsWith('0001-') ? { startedAt } : {})
  }
}

/** ContainerInfo from one entry of `docker ps -a`; undefined when it carries no meshd labels. Arguments as fromInspect's. */
export function fromListEntry (entry: Docker.ContainerInfo, host: string, networkName: string): ContainerInfo | undefined {
  const identity = identityOf(entry.Labels)
  if (identity === undefined) return undefined
  const ip = entry.State === 'running' ? entry.NetworkSettings?.Networks?.[networkName]?.IPAddress || undefined : undefined
  const published: ContainerInfo['ports'] = []
  const seen = new Set<number>()
  for (const port of entry.Ports ?? []) {
    // Docker lists a binding once per address family; one endpoint per target is enough.
    if (port.PublicPort === undefined || port.Type !== 'tcp' || seen.has(port.PrivatePort)) continue
    seen.add(port.PrivatePort)
    published.push({ target: port.PrivatePort, endpoint: endpointOf(port.IP, String(port.PublicPort), host) })
  }
  // The list has no exit code field; its human status does: "Exited (137) 3 seconds ago".
  const exited = /^Exited \((-?\d+)\)/.exec(entry.Status ?? '')
  return {
    id: entry.Id,
    name: (entry.Names?.[0] ?? '').replace(/^\//, ''),
    ...identity,
    state: entry.State,
    // The list names every exposed port, published or not.
    ports: ip === undefined ? sortByTarget(published) : servedPorts(ip, (entry.Ports ?? []).flatMap(port => port.Type === 'tcp' ? [port.PrivatePort] : [])),
    ...(ip === undefined ? {} : { ip }),
    ...(exited?.[1] === undefined ? {} : { exitCode: Number(exited[1]) })
  }
}

/** A replica's ports on its address in the replica network: one endpoint "<ip>:<target>" per target. */
function servedPorts (ip: string, targets: number[]): ContainerInfo['ports'] {
  return [...new Set(targets)].sort((a, b) => a - b).map(target => ({ target, endpoint: endpointOf(ip, String(target), ip) }))
}

/** The port of an ExposedPorts key such as "8080/tcp"; none for udp and sctp. */
function tcpTarget (key: string): number[] {
  const [port, protocol] = key.split('/')
  const target = Number(port)
  return protocol === 'tcp' && Number.isInteger(target) ? [target] : []
}

function endpointOf (hostIp: string | undefined, hostPort: string, host: string): string {
  // A wildcard binding (not one meshd made) is reachable on the node's address.
  const address = hostIp === undefined || hostIp === '' || hostIp === '0.0.0.0' || hostIp === '::' ? host : hostIp
  return address.includes(':') ? `[${address}]:${hostPort}` : `${address}:${hostPort}`
}

function sortByTarget (ports: ContainerInfo['ports']): ContainerInfo['ports'] {
  return ports.sort((a, b) => a.target - b.target)
}
