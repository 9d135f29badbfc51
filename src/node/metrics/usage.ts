// A replica's CPU time and memory, read from its container's cgroup when asked: a few
// small files, no call to Docker and no timer. cgroup v1 (Docker's cgroupfs driver:
// cpuacct/docker/ID, memory/docker/ID) and v2 (docker/ID, system.slice/docker-ID.scope).
// Memory is counted as `docker stats` counts it: usage less the inactive page cache.

import { readFile } from 'node:fs/promises'
import { CGROUP_ROOT } from './constants.ts'

export interface ReplicaUsage {
  /** CPU time used since the container started (user + system). */
  cpuSeconds: number
  /** Memory in use, less the inactive page cache. */
  memoryBytes: number
}

const CONTAINER_ID = /^[0-9a-f]{64}$/

/** The container's usage now; undefined when it has no cgroup here (gone, or another layout). */
export async function readUsage (containerId: string, root = CGROUP_ROOT): Promise<ReplicaUsage | undefined> {
  if (!CONTAINER_ID.test(containerId)) return undefined
  return await v1Usage(containerId, root) ?? await v2Usage(`${root}/system.slice/docker-${containerId}.scope`) ?? await v2Usage(`${root}/docker/${containerId}`)
}

async function v1Usage (id: string, root: string): Promise<ReplicaUsage | undefined> {
  const [cpu, memory, stat] = await Promise.all([
    text(`${root}/cpuacct/docker/${id}/cpuacct.usage`), text(`${root}/memory/docker/${id}/memory.usage_in_bytes`), text(`${root}/memory/docker/${id}/memory.stat`)
  ])
  if (cpu === undefined || memory === undefined || !Number.isFinite(Number(cpu))) return undefined
  return { cpuSeconds: Number(cpu) / 1e9, memoryBytes: lessCache(Number(memory), statOf(stat, 'total_inactive_file')) }
}

async function v2Usage (dir: string): Promise<ReplicaUsage | undefined> {
  const [cpu, memory, stat] = await Promise.all([text(`${dir}/cpu.stat`), text(`${dir}/memory.current`), text(`${dir}/memory.stat`)])
  if (cpu === undefined || memory === undefined) return undefined
  return { cpuSeconds: statOf(cpu, 'usage_usec') / 1e6, memoryBytes: lessCache(Number(memory), statOf(stat, 'inactive_file')) }
}

function lessCache (usage: number, inactive: number): number {
  return Number.isFinite(usage) ? Math.max(0, usage - inactive) : 0
}

/** A "key value" line of a cgroup stat file; 0 when absent. */
export function statOf (stat: string | undefined, key: string): number {
  if (stat === undefined) return 0
  const line = stat.split('\n').find((l) => l.startsWith(`${key} `))
  const value = Number(line?.slice(key.length + 1))
  return Number.isFinite(value) ? value : 0
}

async function text (path: string): Promise<string | undefined> {
  return await readFile(path, 'utf8').catch(() => undefined)
}
