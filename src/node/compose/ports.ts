// Compose ports and expose → meshd ports. A published port is served by the mesh on
// every node; a target alone is reached on the service's address. meshd's mesh carries
// TCP, publishes on every address, and never picks a random host port.

import { note, numberOf, problem } from './context.ts'
import type { Context } from './context.ts'
import type { ComposePath } from './types.ts'

export interface MeshdPort { published?: number, target: number }

const SHORT = /^(?:(.*):)?([^:]*):([^:]+)$|^([^:]+)$/
const RANGE = /^(\d+)(?:-(\d+))?$/

/** The ports of a service from its `ports` and `expose` (targets not already listed). */
export function portsOf (ctx: Context, service: ComposePath, ports: unknown, expose: unknown): MeshdPort[] {
  const out: MeshdPort[] = []
  if (Array.isArray(ports)) {
    ports.forEach((item, index) => {
      const path = [...service, 'ports', index]
      const found = typeof item === 'object' && item !== null ? longPort(ctx, path, item as Record<string, unknown>) : shortPort(ctx, path, String(item))
      out.push(...found)
    })
  }
  if (Array.isArray(expose)) {
    expose.forEach((item, index) => {
      const path = [...service, 'expose', index]
      const [range, protocol] = String(item).split('/')
      if (!tcp(ctx, path, protocol)) return
      for (const target of portRange(ctx, path, range ?? '') ?? []) {
        if (!out.some((port) => port.target === target)) out.push({ target })
      }
    })
  }
  return out
}

function shortPort (ctx: Context, path: ComposePath, text: string): MeshdPort[] {
  const [spec = '', protocol] = text.split('/')
  if (!tcp(ctx, path, protocol)) return []
  const match = SHORT.exec(spec)
  if (match === null) { problem(ctx, path, `expected [HOST_IP:][PUBLISHED:]TARGET such as "8080:80", got ${JSON.stringify(text)}`); return [] }
  const [, hostIp, published, target = match[4]] = match
  if (hostIp !== undefined && hostIp !== '') note(ctx, path, `host IP ${hostIp} not used: meshd publishes on every address of every node`)
  return pairs(ctx, path, published, target!)
}

function longPort (ctx: Context, path: ComposePath, port: Record<string, unknown>): MeshdPort[] {
  if (!tcp(ctx, [...path, 'protocol'], port.protocol === undefined ? undefined : String(port.protocol))) return []
  if (port.host_ip !== undefined) note(ctx, [...path, 'host_ip'], 'not used: meshd publishes on every address of every node')
  if (port.mode === 'host') note(ctx, [...path, 'mode'], 'meshd publishes through its mesh on every node (as mode "ingress"), never on the replica\'s node only')
  for (const key of ['name', 'app_protocol'] as const) if (port[key] !== undefined) note(ctx, [...path, key], 'not used by meshd')
  const target = numberOf(port.target) === undefined ? String(port.target) : String(numberOf(port.target))
  return pairs(ctx, path, port.published === undefined ? undefined : String(port.published), target)
}

/** Published and target ranges paired one to one ("8000-8001:80-81"); a target range alone is exposed only. */
function pairs (ctx: Context, path: ComposePath, published: string | undefined, target: string): MeshdPort[] {
  const targets = portRange(ctx, path, target)
  if (targets === undefined) return []
  if (published === undefined || published === '') {
    note(ctx, path, `no published port: Docker would pick a random one; meshd publishes none, the service is reached on its address at port ${targets.join(', ')}`)
    return targets.map((t) => ({ target: t }))
  }
  const sources = portRange(ctx, path, published)
  if (sources === undefined) return []
  if (sources.length === targets.length) return targets.map((t, i) => ({ published: sources[i]!, target: t }))
  if (targets.length === 1) {
    note(ctx, path, `a range of published ports for one target: meshd publishes the first, ${sources[0]}`)
    return [{ published: sources[0]!, target: targets[0]! }]
  }
  problem(ctx, path, `expected as many published ports as targets, got ${sources.length} and ${targets.length}`)
  return []
}

function portRange (ctx: Context, path: ComposePath, text: string): number[] | undefined {
  const match = RANGE.exec(text.trim())
  const first = Number(match?.[1])
  const last = match?.[2] === undefined ? first : Number(match[2])
  if (match === null || first < 1 || last > 65535 || last < first || last - first >= 1024) {
    problem(ctx, path, `expected a port from 1 to 65535 or a range such as "8000-8010", got ${JSON.stringify(text)}`)
    return undefined
  }
  return Array.from({ length: last - first + 1 }, (_, i) => first + i)
}

function tcp (ctx: Context, path: ComposePath, protocol: string | undefined): boolean {
  if (protocol === undefined || protocol.toLowerCase() === 'tcp') return true
  note(ctx, path, `a ${protocol} port is left out: meshd's mesh carries TCP only`)
  return false
}
