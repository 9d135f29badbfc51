// `meshd up --nodes 3 --demo` (issue 3, acceptance 6; the README's main command): one
// command forms a cluster, deploys the demo and stops everything on Ctrl-C.

import { execFileSync, spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BIN, httpGet, tempDataDir, cleanupAll, waitFor } from '../../support/daemon.ts'
import { membersSeenBy } from '../../support/cluster.ts'

describe('meshd up', () => {
  afterAll(cleanupAll)

  it('starts a three-node cluster with the demo, and Ctrl-C stops it all', async () => {
    const dataDir = tempDataDir()
    const child = spawn(process.execPath, [BIN, 'up', '--nodes', '3', '--demo', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    try {
      await waitFor(() => output.includes('Press Ctrl-C'), { timeoutMs: 90_000, what: `up to finish starting:\n${output}` })
      expect(output).toContain('3 nodes up, one cluster')
      // The printed line points the CLI at the cluster, with the token read from its file.
      const exported = /export MESHD_API=.*/.exec(output)?.[0]
      expect(exported).toBeDefined()
      const ls = execFileSync('sh', ['-c', `${exported}; "${process.execPath}" "${BIN}" node ls --json`], { encoding: 'utf8' })
      expect((JSON.parse(ls) as Array<{ name: string, state: string }>).map((m) => `${m.name}:${m.state}`)).toEqual(['node-1:alive', 'node-2:alive', 'node-3:alive'])
      expect(await membersSeenBy({ api: 'http://127.0.0.12:7700', dataDir: join(dataDir, 'node-2') })).toEqual({ 'node-1': 'alive', 'node-2': 'alive', 'node-3': 'alive' })
      const endpoints = [...output.matchAll(/curl http:\/\/(\d+\.\d+\.\d+\.\d+:\d+)\//g)].map((m) => m[1])
      // Three mesh addresses (port 8080 on every node), then the three replicas at their
      // addresses on their nodes' replica networks.
      expect(endpoints).toHaveLength(6)
      expect(endpoints.slice(0, 3)).toEqual(['127.0.0.11:8080', '127.0.0.12:8080', '127.0.0.13:8080'])
      for (const endpoint of endpoints.slice(3)) expect(endpoint).toMatch(/^10\.\d+\.\d+\.\d+:8080$/)
      for (const endpoint of endpoints) expect(await httpGet(`http://${endpoint}/`)).toContain('hello from meshd')
    } finally {
      child.kill('SIGINT')
      // Its Ctrl-C cleanup runs even when an assertion above failed.
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))])
    }
    expect(await exited).toBe(0)
    for (const node of ['node-1', 'node-2', 'node-3']) {
      const left = execFileSync('docker', ['ps', '-aq', '--filter', 'label=meshd.service=web', '--filter', `label=meshd.node=${node}`], { encoding: 'utf8' }).trim()
      expect(left, `${node}'s containers`).toBe('')
    }
  })
})
