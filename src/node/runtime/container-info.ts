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

/** ContainerInfo from `docker inspect`; undefined when the container carries no meshd labels. */
export function fromInspect (info: Docker.ContainerInspectInfo, host: string): ContainerInfo | undefined {
  const identity = identityOf(info.Config?.Labels)
  if (identity === undefined) return undefined
  const state = info.State?.Status ?? 'unknown'
  const ports: ContainerInfo['ports'] = []
  // Ports is null for a container that is not running.
  for (const [key, bindings] of Object.entries(info.NetworkSettings?.Ports ?? {})) {
    const binding = bindings?.[0]
    if (binding === undefined || binding.HostPort === '') continue
    ports.push({ target: parseInt(key, 10), endpoint: endpointOf(binding.HostIp, binding.HostPort, host) })
  }
  // The top-level IPAddress (default bridge) is missing from @types/dockerode but sent by the engine.
  const settings = info.NetworkSettings as (typeof info.NetworkSettings & { IPAddress?: string }) | undefined
  const ip = settings?.IPAddress || Object.values(settings?.Networks ?? {})[0]?.IPAddress
  const startedAt = info.State?.StartedAt
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    ...identity,
    state,
    ports: sortByTarget(ports),
    ...(state === 'running' && ip ? { ip } : {}),
    ...(state === 'exited' || state === 'dead' ? { exitCode: info.State.ExitCode } : {}),
    ...(info.State?.OOMKilled === true ? { oomKilled: true as const } : {}),
    ...(startedAt && !startedAt.startsWith('0001-') ? { startedAt } : {})
  }
}

/** ContainerInfo from one entry of `docker ps -a`; undefined when it carries no meshd labels. */
export function fromListEntry (entry: Docker.ContainerInfo, host: string): ContainerInfo | undefined {
  const identity = identityOf(entry.Labels)
  if (identity === undefined) return undefined
  const ports: ContainerInfo['ports'] = []
  const seen = new Set<number>()
  for (const port of entry.Ports ?? []) {
    // Docker lists a binding once per address family; one endpoint per target is enough.
    if (port.PublicPort === undefined || port.Type !== 'tcp' || seen.has(port.PrivatePort)) continue
    seen.add(port.PrivatePort)
    ports.push({ target: port.PrivatePort, endpoint: endpointOf(port.IP, String(port.PublicPort), host) })
  }
  const ip = Object.values(entry.NetworkSettings?.Networks ?? {})[0]?.IPAddress
  // The list has no exit code field; its human status does: "Exited (137) 3 seconds ago".
  const exited = /^Exited \((-?\d+)\)/.exec(entry.Status ?? '')
  return {
    id: entry.Id,
    name: (entry.Names?.[0] ?? '').replace(/^\//, ''),
    ...identity,
    state: entry.State,
    ports: sortByTarget(ports),
    ...(entry.State === 'running' && ip ? { ip } : {}),
    ...(exited?.[1] === undefined ? {} : { exitCode: Number(exited[1]) })
  }
}

function endpointOf (hostIp: string | undefined, hostPort: string, host: string): string {
  // A wildcard binding (not one meshd made) is reachable on the node's address.
  const address = hostIp === undefined || hostIp === '' || hostIp === '0.0.0.0' || hostIp === '::' ? host : hostIp
  return address.includes(':') ? `[${address}]:${hostPort}` : `${address}:${hostPort}`
}

function sortByTarget (ports: ContainerInfo['ports']): ContainerInfo['ports'] {
  return ports.sort((a, b) => a.target - b.target)
}
