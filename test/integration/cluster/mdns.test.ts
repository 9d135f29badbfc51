// Zero-config discovery (issue 3, acceptance 6): two `meshd start` nodes that share a
// secret find each other by mDNS without --join. They run in a network namespace of
// the test's own whose only interface is its loopback, so multicast never leaves it (its
// addresses are that namespace's, apart from the host's). npm test runs it alone, after the
// two lanes (test/integration/solo.txt). It once failed about one run in three: a node
// that found its peer while still starting never dialled it (libp2p announces a peer once);
// the connector now keeps every peer it found as a target (test/gossip/connector.test.ts).

import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { cleanupAll, spawnDaemon, tempDataDir, waitFor } from '../../support/daemon.ts'
import { secretOf } from '../../support/cluster.ts'

const NS = `meshd-test-mdns-${process.pid}`
const ip = (...args: string[]): void => { execFileSync('ip', args, { stdio: 'ignore' }) }

/** What GET /v1/nodes says on a node inside the namespace, as [name, state] pairs (none before its token exists). */
function membersInside (node: { host: string, dataDir: string }): Array<[string, string]> {
  if (!existsSync(join(node.dataDir, 'api.token'))) return []
  const token = readFileSync(join(node.dataDir, 'api.token'), 'utf8').trim()
  const script = `fetch('http://${node.host}:7700/v1/nodes', { headers: { authorization: 'Bearer ${token}' } }).then((r) => r.text()).then((t) => process.stdout.write(t), () => process.stdout.write('[]'))`
  const members = JSON.parse(execFileSync('ip', ['netns', 'exec', NS, process.execPath, '-e', script], { encoding: 'utf8' })) as unknown
  return Array.isArray(members) ? members.map((m: { name: string, state: string }) => [m.name, m.state]) : []
}

describe('mDNS discovery', () => {
  beforeAll(() => {
    ip('netns', 'add', NS)
    ip('netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up')
    ip('netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'multicast', 'on')
    ip('netns', 'exec', NS, 'ip', 'route', 'add', '224.0.0.0/4', 'dev', 'lo')
  })
  afterAll(async () => {
    await cleanupAll()
    try { ip('netns', 'del', NS) } catch {}
  })

  it('lets two nodes with the same secret find each other without --join', async () => {
    const first = tempDataDir()
    const secretFile = join(tempDataDir(), 'join-token')
    writeFileSync(secretFile, `${secretOf(first)}\n`, { mode: 0o600 })
    const prefix = ['ip', 'netns', 'exec', NS]
    const a = spawnDaemon({ name: 'test-mdns-1', host: '127.0.0.57', dataDir: first, prefix, args: ['--mdns'] })
    const b = spawnDaemon({ name: 'test-mdns-2', host: '127.0.0.58', prefix, args: ['--mdns', '--secret-file', secretFile] })
    const expected = JSON.stringify([['test-mdns-1', 'alive'], ['test-mdns-2', 'alive']])
    await waitFor(() => [a, b].every((node) => JSON.stringify(membersInside(node)) === expected), {
      timeoutMs: 45_000, what: 'both nodes to list each other alive, found by mDNS'
    }).catch((err: Error) => {
      // What each node said, for the next look at a failure.
      throw new Error(`${err.message}\n${[a, b].map((node) => `${node.name}: ${JSON.stringify(membersInside(node))}\n${node.output().split('\n').slice(-25).join('\n')}`).join('\n')}`)
    })
  })
})
