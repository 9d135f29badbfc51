// A cgroup v1 tree on disk with one container's counters, for the code that reads a
// replica's CPU and memory from its cgroup (its cgroupRoot option).

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fresh cgroup root (remove it when done) where container `id` has used `cpuNs` of CPU and `memory` bytes (`stat`: memory.stat). */
export function cgroupRoot (id: string, usage: { cpuNs: number, memory: number, stat?: string }): string {
  const root = mkdtempSync(join(tmpdir(), 'meshd-cgroup-'))
  mkdirSync(join(root, 'cpuacct/docker', id), { recursive: true })
  mkdirSync(join(root, 'memory/docker', id), { recursive: true })
  writeFileSync(join(root, 'cpuacct/docker', id, 'cpuacct.usage'), `${usage.cpuNs}\n`)
  writeFileSync(join(root, 'memory/docker', id, 'memory.usage_in_bytes'), `${usage.memory}\n`)
  if (usage.stat !== undefined) writeFileSync(join(root, 'memory/docker', id, 'memory.stat'), usage.stat)
  return root
}
