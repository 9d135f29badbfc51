// A replica's usage from its cgroup files: v1 (cgroupfs) and v2 layouts, memory less
// the inactive page cache, nothing for an id that is not a container id.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readUsage } from '../../../src/node/metrics/index.ts'

const root = mkdtempSync(join(tmpdir(), 'meshd-cgroup-'))
const files = (dir: string, entries: Record<string, string>): void => {
  mkdirSync(join(root, dir), { recursive: true })
  for (const [name, text] of Object.entries(entries)) writeFileSync(join(root, dir, name), text)
}

describe('readUsage', () => {
  afterAll(() => { rmSync(root, { recursive: true, force: true }) })

  it('reads cgroup v1 (cpuacct and memory controllers)', async () => {
    const id = '1'.repeat(64)
    files(`cpuacct/docker/${id}`, { 'cpuacct.usage': '1500000000\n' })
    files(`memory/docker/${id}`, { 'memory.usage_in_bytes': '5000\n', 'memory.stat': 'cache 9\ntotal_inactive_file 1000\n' })
    expect(await readUsage(id, root)).toEqual({ cpuSeconds: 1.5, memoryBytes: 4000 })
  })

  it('reads cgroup v2, systemd\'s scope or cgroupfs\' directory', async () => {
    const scoped = '2'.repeat(64)
    files(`system.slice/docker-${scoped}.scope`, { 'cpu.stat': 'usage_usec 2500000\nuser_usec 1\n', 'memory.current': '8192\n', 'memory.stat': 'anon 1\ninactive_file 4096\n' })
    expect(await readUsage(scoped, root)).toEqual({ cpuSeconds: 2.5, memoryBytes: 4096 })
    const plain = '3'.repeat(64)
    files(`docker/${plain}`, { 'cpu.stat': 'usage_usec 1000000\n', 'memory.current': '100\n' })
    expect(await readUsage(plain, root)).toEqual({ cpuSeconds: 1, memoryBytes: 100 })
  })

  it('has nothing for a container without a cgroup, or a name that is not a container id', async () => {
    expect(await readUsage('4'.repeat(64), root)).toBeUndefined()
    expect(await readUsage('../../etc', root)).toBeUndefined()
    // A file that does not hold a number is no reading (a scrape never renders NaN).
    const garbled = '5'.repeat(64)
    files(`cpuacct/docker/${garbled}`, { 'cpuacct.usage': 'max\n' })
    files(`memory/docker/${garbled}`, { 'memory.usage_in_bytes': 'x\n' })
    expect(await readUsage(garbled, root)).toBeUndefined()
  })
})
