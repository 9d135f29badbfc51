// Cluster backup and restore (issue 15, acceptance 3 and 4) with real daemons: a
// three-node cluster running a busybox httpd that serves a config and a secret on a
// published port, and an extra admin token; `meshd cluster backup`; the whole cluster
// stopped and its containers gone; a fresh node with a new data dir and the old cluster
// secret (MESHD_SECRET, no --join) refuses tampered copies and a node of another cluster
// refuses the file, changing nothing; then `meshd cluster restore` brings the service
// back healthy, serving the secret's value, and the old token works again.

import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, BIN, cleanupAll, IMAGE, killDaemon, removeContainersOf, startDaemon, tempDataDir, tokenOf, waitFor } from '../../support/daemon.ts'
import type { TestDaemon } from '../../support/daemon.ts'
import { secretOf, startCluster, waitForMembers } from '../../support/cluster.ts'
import type { ClusterNode } from '../../support/cluster.ts'
import { get } from '../../support/mesh.ts'

const HOSTS = ['127.0.0.211', '127.0.0.212', '127.0.0.213']
const FRESH_HOST = '127.0.0.214'
const OTHER_HOST = '127.0.0.215'
const NAMES = ['test-cb-1', 'test-cb-2', 'test-cb-3', 'test-cb-fresh', 'test-cb-other']
const PORT = 18211
const VALUE = `the value ${randomBytes(8).toString('hex')}`
const PAGE = `<p>page ${randomBytes(4).toString('hex')}</p>\n`

const site = {
  name: 'site',
  image: IMAGE,
  command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
  replicas: 2,
  ports: [{ published: PORT, target: 8080 }],
  secrets: [{ source: 'site-key', target: '/www/key.txt', mode: '0444' }],
  configs: [{ source: 'page', target: '/www/index.html' }],
  health: { type: 'tcp', interval: '300ms', retries: 2 }
}

interface Outcome { code: number | null, stdout: string, stderr: string }

/** `meshd ARGS` against `node` (its admin token unless `token` is given), `input` on stdin; never throws. */
async function meshd (node: { api: string }, args: string[], opts: { input?: string, token?: string } = {}): Promise<Outcome> {
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MESHD_'))), MESHD_API: node.api, MESHD_TOKEN: opts.token ?? tokenOf(node) }
  return await new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('close', (code) => { resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() }) })
    child.stdin?.end(opts.input)
  })
}

interface ServiceView { spec: { name: string }, generation: number, replicas: Array<{ state: string, node: string }>, status: { desired: number, healthy: number } }

/** Waits until `service` runs `count` healthy replicas as `node` sees it. */
async function healthy (node: { api: string }, service: string, count: number): Promise<ServiceView> {
  let last = ''
  return await waitFor(async () => {
    const view = (await api<ServiceView>(node.api, 'GET', `/v1/services/${service}`)).body
    last = JSON.stringify(view?.replicas)
    return view?.replicas?.length === count && view.replicas.every((r) => r.state === 'healthy') ? view : undefined
  }, { timeoutMs: 90_000, what: `${service} to run ${count} healthy replicas` }).catch((err: Error) => { throw new Error(`${err.message}; last: ${last}`) })
}

/** What a cluster holds, as `node` lists it (its tokens with `token`). */
async function contents (node: { api: string }): Promise<unknown> {
  const names = async (path: string): Promise<string[]> => ((await api<Array<{ name?: string, spec?: { name: string } }>>(node.api, 'GET', path)).body).map((e) => e.name ?? e.spec?.name ?? '').sort()
  return { services: await names('/v1/services'), secrets: await names('/v1/secrets'), configs: await names('/v1/configs'), tokens: await names('/v1/tokens') }
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')

describe('cluster backup and restore', () => {
  let nodes: ClusterNode[] = []
  let fresh: TestDaemon
  let oldToken = ''
  const dir = tempDataDir('meshd-backup-')
  const file = join(dir, 'cluster.backup')

  beforeAll(async () => {
    nodes = await startCluster('test-cb', HOSTS)
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, Object.fromEntries(NAMES.slice(0, 3).map((name) => [name, 'alive']))) }))
  }, 90_000)
  afterAll(async () => {
    try {
      // Once more if a container was being removed meanwhile (docker rm -f then fails): the daemons are gone by then.
      await cleanupAll().catch(async () => { await cleanupAll() })
    } finally {
      // The daemons were killed, not stopped: their replicas' files would outlive them.
      for (const name of NAMES) rmSync(`/dev/shm/meshd-${name}`, { recursive: true, force: true })
    }
  })

  it('backs up a cluster that serves a secret: the file is 0600, signed, the value nowhere in it, never overwritten without --force', async () => {
    expect(await meshd(nodes[1]!, ['secret', 'create', 'site-key', '-'], { input: VALUE })).toMatchObject({ code: 0 })
    expect(await meshd(nodes[1]!, ['config', 'create', 'page', '-'], { input: PAGE })).toMatchObject({ code: 0 })
    const token = await meshd(nodes[0]!, ['token', 'create', 'ops', '--role', 'admin'])
    expect(token.code, token.stderr).toBe(0)
    oldToken = token.stdout.split('\n').at(-1)!
    await waitFor(async () => (await api(nodes[2]!.api, 'GET', '/v1/configs/page')).status === 200, { timeoutMs: 15_000, what: 'the config on node 3' })
    expect((await api(nodes[2]!.api, 'PUT', '/v1/services/site', site)).status).toBe(201)
    // An alert rule whose webhook has credentials: backed up still sealed.
    expect((await api(nodes[1]!.api, 'PUT', '/v1/alerts/site-down', { when: 'service.healthy < service.desired service=site', for: '1m', notify: { webhook: 'http://ops:alert-pa55@127.0.0.1:9/hook' } })).status).toBe(201)
    await healthy(nodes[0]!, 'site', 2)
    await waitFor(async () => (await get(HOSTS[0]!, PORT, '/key.txt')).body === VALUE, { timeoutMs: 30_000, what: 'the secret served through the mesh' })

    // Every node believes the token before the backup is taken on another one.
    await waitFor(async () => (await api(nodes[2]!.api, 'GET', '/v1/tokens')).body.some((t: { name: string }) => t.name === 'ops'), { timeoutMs: 15_000, what: 'the token on node 3' })
    await waitFor(async () => (await api(nodes[2]!.api, 'GET', '/v1/alerts/site-down')).status === 200, { timeoutMs: 15_000, what: 'the alert rule on node 3' })
    const backup = await meshd(nodes[2]!, ['cluster', 'backup', '-o', file, '--json'])
    expect(backup.code, backup.stderr).toBe(0)
    const summary = JSON.parse(backup.stdout) as Record<string, unknown>
    expect(summary).toMatchObject({ file, format: 'meshd-cluster-backup/1', node: 'test-cb-3', services: 1, secrets: 1, configs: 1, tokens: 4, alerts: 1 })
    expect(summary.cluster).toMatch(/^[0-9a-f]{32}$/)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    // Taking one is audited like a write.
    const audited = await waitFor(() => readFileSync(join(nodes[2]!.dataDir, 'audit.log'), 'utf8').split('\n').find((line) => line.includes('/v1/cluster/backup')), { timeoutMs: 5_000, what: 'the backup in the audit log' })
    expect(JSON.parse(audited)).toMatchObject({ method: 'GET', path: '/v1/cluster/backup', status: 200, role: 'admin' })
    const text = readFileSync(file, 'utf8')
    expect(text).not.toContain(VALUE)
    expect(text).not.toContain(Buffer.from(VALUE).toString('base64'))
    expect(text).not.toContain('alert-pa55')

    const again = await meshd(nodes[0]!, ['cluster', 'backup', '-o', file])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('exists: choose another file, or pass --force')
    expect(readFileSync(file, 'utf8')).toBe(text)
    const forced = await meshd(nodes[0]!, ['cluster', 'backup', '-o', file, '--force'])
    expect(forced.code, forced.stderr).toBe(0)
    expect(forced.stdout).toMatch(/: 1 service, 1 secret, 1 config, 4 tokens, 1 alert\n/)
    expect(statSync(file).mode & 0o777).toBe(0o600)

    // A deployer may not take one: token hashes and the secrets' ciphertexts are admin's.
    const deployer = (await meshd(nodes[0]!, ['token', 'create', 'ci', '--role', 'operator'])).stdout.split('\n').at(-1)!
    await waitFor(async () => (await api(nodes[1]!.api, 'GET', '/v1/cluster/backup', undefined, undefined, { authorization: `Bearer ${deployer}` })).status === 403, { timeoutMs: 15_000, what: 'an operator refused' })
  }, 240_000)

  it('on a fresh node with the old cluster secret: refuses tampered copies and leaves it empty; a node of another cluster refuses the file', async () => {
    const secret = secretOf(nodes[0]!.dataDir)
    for (const node of nodes) await killDaemon(node)
    for (const name of NAMES.slice(0, 3)) removeContainersOf(name)
    // A fresh data dir, the old cluster's secret in the environment, no peer to join.
    fresh = await startDaemon({ name: 'test-cb-fresh', host: FRESH_HOST, dataDir: tempDataDir(), env: { MESHD_SECRET: secret } })
    const empty = await contents(fresh)
    expect(empty).toMatchObject({ services: [], secrets: [], configs: [] })

    const text = readFileSync(file, 'utf8')
    // One byte of the secret's ciphertext changed: still canonical JSON, so the API's checksum says no.
    const at = text.indexOf('"data":"', text.indexOf('"secrets":')) + 20
    const flipped = `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`
    writeFileSync(join(dir, 'flipped.backup'), flipped)
    const one = await meshd(fresh, ['cluster', 'restore', join(dir, 'flipped.backup')])
    expect(one.code).toBe(1)
    expect(one.stderr).toContain('checksum does not match')
    // A field changed (a token's role) with the checksum recomputed: the signature says no.
    const forged = JSON.parse(text) as { records: { tokens: Record<string, { role: string }> }, sha256: string, mac: string }
    forged.records.tokens.ops!.role = 'viewer'
    const { sha256: _s, mac: _m, ...content } = forged
    const { canonicalJson } = await import('../../../src/crdt/index.ts')
    forged.sha256 = sha256(canonicalJson(content as never))
    writeFileSync(join(dir, 'forged.backup'), `${canonicalJson(forged as never)}\n`)
    const two = await meshd(fresh, ['cluster', 'restore', join(dir, 'forged.backup')])
    expect(two.code).toBe(1)
    expect(two.stderr).toContain('the backup\'s signature does not match: it was changed, or it belongs to another cluster')
    const answer = await api(fresh.api, 'POST', '/v1/cluster/restore', forged)
    expect(answer).toMatchObject({ status: 400, body: { error: { code: 'MESHD_BACKUP_INVALID', path: 'mac' } } })
    // Edited by hand (pretty-printed): the CLI refuses before sending anything.
    writeFileSync(join(dir, 'pretty.backup'), JSON.stringify(JSON.parse(text), null, 2))
    const three = await meshd(fresh, ['cluster', 'restore', join(dir, 'pretty.backup')])
    expect(three).toMatchObject({ code: 1, stderr: expect.stringContaining('the file was edited') })
    expect(await contents(fresh)).toEqual(empty)

    // A node of another cluster (its own new secret) cannot restore it either.
    const other = await startDaemon({ name: 'test-cb-other', host: OTHER_HOST, dataDir: tempDataDir() })
    const foreign = await meshd(other, ['cluster', 'restore', file])
    expect(foreign.code).toBe(1)
    expect(foreign.stderr).toContain('belongs to another cluster')
    expect((await contents(other) as { services: string[] }).services).toEqual([])
    await killDaemon(other)
  }, 120_000)

  it('restores into the fresh node: the service healthy, the secret served, the old token working again; a second restore is refused', async () => {
    const restore = await meshd(fresh, ['cluster', 'restore', file, '--json'])
    expect(restore.code, restore.stderr).toBe(0)
    const result = JSON.parse(restore.stdout) as Record<string, unknown>
    expect(result).toMatchObject({ services: ['site'], secrets: ['site-key@1'], configs: ['page@1'], from: { node: 'test-cb-1' } })
    // The operator token was made after the (forced) backup: not in it.
    expect(result.tokens).toContain('ops')
    expect(result.tokens).not.toContain('ci')
    expect(restore.stderr).toMatch(/restored from cluster [0-9a-f]{32} .*: 1 service, 1 secret, 1 config, 4 tokens, 1 alert/)
    expect(result.alerts).toEqual(['site-down'])
    expect(restore.stderr).toContain('the backup\'s tokens work again')

    // The restored cluster has an id of its own: the old cluster's data dirs stay out of it.
    const id = await waitFor(async () => { try { return readFileSync(join(fresh.dataDir, 'cluster.id'), 'utf8').trim() } catch { return undefined } }, { timeoutMs: 10_000, what: 'a cluster id' })
    expect(id).toMatch(/^[0-9a-f]{32}$/)
    expect(id).not.toBe((result.from as { cluster: string }).cluster)

    const view = await healthy(fresh, 'site', 2)
    expect(view.generation).toBe(1)
    expect(view.replicas.every((r) => r.node === 'test-cb-fresh')).toBe(true)
    await waitFor(async () => (await get(FRESH_HOST, PORT, '/key.txt')).body === VALUE, { timeoutMs: 30_000, what: 'the restored secret served' })
    expect((await get(FRESH_HOST, PORT, '/')).body).toBe(PAGE)

    // The alert rule is back, its webhook's credentials still sealed (shown redacted).
    expect((await api(fresh.api, 'GET', '/v1/alerts/site-down')).body).toMatchObject({ when: 'service.healthy < service.desired service=site', notify: { webhook: 'http://redacted@127.0.0.1:9/hook' } })

    // The old cluster's token: accepted by the fresh node.
    const listed = await meshd(fresh, ['service', 'ls', '--json'], { token: oldToken })
    expect(listed.code, listed.stderr).toBe(0)
    expect((JSON.parse(listed.stdout) as ServiceView[]).map((s) => s.spec.name)).toEqual(['site'])

    const twice = await api(fresh.api, 'POST', '/v1/cluster/restore', JSON.parse(readFileSync(file, 'utf8')))
    expect(twice).toMatchObject({ status: 409, body: { error: { code: 'MESHD_CLUSTER_NOT_EMPTY', message: expect.stringContaining('services "site"') } } })
    // Nothing the fresh node believes is a problem: every record is sealed by it now.
    expect((await api(fresh.api, 'GET', '/v1/problems')).body).toMatchObject({ total: 0 })
  }, 180_000)
})
