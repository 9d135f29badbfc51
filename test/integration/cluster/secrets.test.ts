// Secrets and configs (issue 14) on three real nodes: a PostgreSQL initialised from a
// secret created with the CLI and a client logging in by name with the same secret from
// every node; the value nowhere on disk, in logs, in Docker or in API answers; a config
// rotated under a request loop without a failed request; a secret rotation that rolls its
// followers and leaves a pinned service alone; and the refusals (in use, missing, too large).

import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { api, BIN, cleanupAll, containersOf, IMAGE, tokenOf, waitFor } from '../../support/daemon.ts'
import { startCluster, waitForMembers } from '../../support/cluster.ts'
import type { ClusterNode } from '../../support/cluster.ts'
import { get, requestLoop } from '../../support/mesh.ts'

const HOSTS = ['127.0.0.241', '127.0.0.242', '127.0.0.243']
const NAMES = ['test-sec-1', 'test-sec-2', 'test-sec-3']
const PG = 'meshd/postgres:15'
/** psql of this machine's postgresql-client-15 (scripts/setup.sh), for sessions through the mesh. */
const PSQL = '/usr/lib/postgresql/15/bin/psql'
/** The image's postgres user: a 0400 secret must be its own for it to read. */
const POSTGRES_UID = 999
const DB_PORT = 18432
const WEB_PORT = 18400
// Random values, so a hit in a scan can only be a leak.
const PASS1 = randomBytes(12).toString('hex')
const PASS2 = randomBytes(12).toString('hex')
const SITE1 = `<p>site one ${randomBytes(6).toString('hex')}</p>\n`
const SITE2 = `<p>site two ${randomBytes(6).toString('hex')}</p>\n`

const dbPass = (source = 'db-pass') => ({ source, uid: POSTGRES_UID, gid: POSTGRES_UID })
const db = { name: 'db', image: PG, replicas: 1, ports: [{ published: DB_PORT, target: 5432 }], secrets: [dbPass()], health: { type: 'tcp', interval: '300ms', retries: 2, startPeriod: '60s' } }
const client = { name: 'client', image: PG, mode: 'global', command: ['sleep', '1000000'], env: { PGCONNECT_TIMEOUT: '3' }, secrets: [dbPass()] }
const pinned = { name: 'pinned', image: IMAGE, replicas: 1, command: ['sleep', '1000000'], secrets: [{ source: 'db-pass@1' }] }
const web = {
  name: 'web',
  image: IMAGE,
  command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
  replicas: 3,
  ports: [{ published: WEB_PORT, target: 8080 }],
  configs: [{ source: 'site', target: '/www/index.html' }],
  health: { type: 'tcp', interval: '200ms', retries: 2 },
  update: { parallelism: 1, order: 'start-first', monitor: '500ms' }
}

interface Replica { slot: number, node: string, state: string, generation: number, container: string, endpoint: string, error?: string }
interface View { generation: number, replicas: Replica[], rollout?: { phase: string, generation: number, updated: number, total: number, reason?: string } }
interface Use { service: string, pinned: boolean, version: number, running: Record<string, number>, outdated: number }
interface Stored { name: string, version: number, versions: number[], size: number, usedBy: Use[] }
interface Outcome { code: number | null, stdout: string, stderr: string }

/** Runs a program to its end with `input` on stdin; never throws. */
async function run (file: string, args: string[], opts: { env?: NodeJS.ProcessEnv, input?: string | Buffer } = {}): Promise<Outcome> {
  return await new Promise((resolve) => {
    const child = spawn(file, args, { env: opts.env ?? process.env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('error', (err) => { resolve({ code: -1, stdout, stderr: err.message }) })
    child.on('close', (code) => { resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() }) })
    child.stdin?.on('error', () => {}).end(opts.input)
  })
}

/** The environment without this shell's MESHD_* variables. */
function cleanEnv (extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MESHD_'))), ...extra }
}

/** psql in a client replica, against db by name, with the password its own /run/secrets/db-pass holds. */
async function psqlIn (container: string, sql: string): Promise<Outcome> {
  // The SQL travels as $0; the password only through the shell's expansion, in the container.
  return await run('docker', ['exec', container, 'sh', '-c', 'PGPASSWORD="$(cat /run/secrets/db-pass)" exec psql -h db -U postgres -w -At -c "$0"', sql])
}

/** psql on this machine through a node's published port of db, the password in its environment only. */
async function psqlVia (host: string, password: string, sql = 'select 1'): Promise<Outcome> {
  return await run(PSQL, ['-h', host, '-p', String(DB_PORT), '-U', 'postgres', '-w', '-At', '-c', sql], { env: cleanEnv({ PGPASSWORD: password, PGCONNECT_TIMEOUT: '3' }) })
}

/** Every regular file under `dir`, recursively (none when it is gone). */
function filesUnder (dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : []
  })
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')
const diagnose = (err: Error, last: string): never => { throw new Error(`${err.message}; last: ${last}`) }

describe('secrets and configs on three real nodes', () => {
  let nodes: ClusterNode[] = []
  /** Every answer the API and the CLI gave this file: none may hold a secret. */
  const answers = new Set<string>()

  const call = async <T = any>(node: ClusterNode, method: string, path: string, body?: unknown, raw?: string): Promise<{ status: number, body: T }> => {
    const answer = await api<T>(node.api, method, path, body, raw)
    answers.add(JSON.stringify(answer.body))
    return answer
  }
  /** `meshd ARGS` against `node`, as a user would run it (the token in the environment, content on stdin). */
  const meshd = async (node: ClusterNode, args: string[], input?: string | Buffer): Promise<Outcome> => {
    const outcome = await run(process.execPath, [BIN, ...args], { env: cleanEnv({ MESHD_API: node.api, MESHD_TOKEN: tokenOf(node) }), input })
    answers.add(`${outcome.stdout}\n${outcome.stderr}`)
    return outcome
  }
  /** Waits until every node holds `version` of a secret or config: a write on any node may then refer to it. */
  const everywhere = async (kind: 'secret' | 'config', name: string, version: number): Promise<void> => {
    await waitFor(async () => (await Promise.all(nodes.map(async (n) => (await call<Stored>(n, 'GET', `/v1/${kind}s/${name}`)).body?.version === version))).every(Boolean),
      { timeoutMs: 15_000, what: `${kind} ${name} version ${version} on every node` })
  }
  const view = async (service: string): Promise<View> => (await call<View>(nodes[0]!, 'GET', `/v1/services/${service}`)).body
  const summary = (v: View): string => `generation ${v.generation}, rollout ${JSON.stringify(v.rollout)}, replicas ${v.replicas.map((r) => `${r.slot}@${r.node}:g${r.generation}:${r.state}${r.error === undefined ? '' : `(${r.error})`}`).join(' ')}`
  /** Waits until `count` replicas of `service` are healthy on `generation` and nothing else runs. */
  const settled = async (service: string, generation: number, count: number): Promise<View> => {
    let last = ''
    return await waitFor(async () => {
      const v = await view(service)
      last = summary(v)
      const done = v.rollout === undefined || v.rollout.phase === 'completed'
      const all = v.replicas.length === count && v.replicas.every((r) => r.state === 'healthy' && r.generation === generation)
      return v.generation === generation && done && all ? v : undefined
    }, { timeoutMs: 120_000, what: `${service} to run ${count} healthy replicas of generation ${generation}` }).catch((err: Error) => diagnose(err, last))
  }
  /** Logs in from each client replica until it works; returns the nodes they ran on. */
  const sessionsFromEveryClient = async (clients: Replica[]): Promise<string[]> => {
    for (const replica of clients) {
      let last = ''
      const session = await waitFor(async () => {
        const r = await psqlIn(replica.container, 'select 40 + 2')
        last = `${r.code} ${r.stdout} ${r.stderr}`
        return r.code === 0 ? r : undefined
      }, { timeoutMs: 60_000, intervalMs: 300, what: `psql -h db from the client on ${replica.node}` }).catch((err: Error) => diagnose(err, last))
      expect(session.stdout).toBe('42')
    }
    return clients.map((r) => r.node).sort()
  }
  /** Logs in from this machine through every node's published port with `password`. */
  const sessionsThroughEveryNode = async (password: string): Promise<void> => {
    for (const host of HOSTS) {
      let last = ''
      await waitFor(async () => {
        const r = await psqlVia(host, password, 'select 6 * 7')
        last = `${r.code} ${r.stdout} ${r.stderr}`
        return r.code === 0 && r.stdout === '42'
      }, { timeoutMs: 60_000, intervalMs: 300, what: `psql through ${host}:${DB_PORT}` }).catch((err: Error) => diagnose(err, last))
    }
  }
  /** Where each value (and its base64) must never be: data dirs, daemon output, Docker, API answers. */
  const assertNowhere = async (values: string[]): Promise<void> => {
    const needles = values.flatMap((v) => [Buffer.from(v), Buffer.from(Buffer.from(v).toString('base64'))])
    const hits: string[] = []
    let scanned = 0
    const scan = (where: string, bytes: Buffer | string): void => {
      scanned++
      const haystack = typeof bytes === 'string' ? Buffer.from(bytes) : bytes
      for (const needle of needles) if (haystack.includes(needle)) hits.push(`${where} holds ${needle.length === 24 ? 'a value' : 'a base64 value'}`)
    }
    const read = (path: string): Buffer => { try { return readFileSync(path) } catch { return Buffer.alloc(0) } }
    // A fresh round of answers from every node, on top of those the tests got.
    for (const node of nodes) {
      for (const path of ['/v1/services', '/v1/secrets', '/v1/secrets/db-pass', '/v1/configs', '/v1/replicas', '/v1/nodes', '/v1/problems', '/v1/mesh']) await call(node, 'GET', path)
    }
    for (const node of nodes) {
      expect(existsSync(join(node.dataDir, 'audit.log')), `${node.name}'s audit log`).toBe(true)
      for (const path of filesUnder(node.dataDir)) scan(path, read(path))
      scan(`${node.name}'s output`, node.output())
    }
    const dockerRoot = (await run('docker', ['info', '--format', '{{.DockerRootDir}}'])).stdout
    const containers = NAMES.flatMap((name) => containersOf(name))
    for (const id of containers) {
      scan(`docker inspect ${id}`, (await run('docker', ['inspect', id])).stdout)
      for (const path of filesUnder(join(dockerRoot, 'containers', id))) scan(path, read(path))
      const upper = (await run('docker', ['inspect', '--format', '{{index .GraphDriver.Data "UpperDir"}}', id])).stdout
      if (upper.startsWith('/')) for (const path of filesUnder(upper)) scan(path, read(path))
    }
    for (const name of NAMES) {
      const networks = (await run('docker', ['network', 'ls', '-q', '--filter', `label=meshd.node=${name}`])).stdout.split('\n').filter(Boolean)
      for (const id of networks) scan(`docker network inspect ${id}`, (await run('docker', ['network', 'inspect', id])).stdout)
    }
    for (const answer of answers) scan('an API or CLI answer', answer)
    console.log(`leak scan: ${values.length} values in ${scanned} places (${containers.length} containers, ${answers.size} distinct answers): ${hits.length} hits`)
    expect(hits).toEqual([])
  }

  beforeAll(async () => {
    if (!existsSync(PSQL)) throw new Error(`${PSQL} is missing: run scripts/setup.sh`)
    nodes = await startCluster('test-sec', HOSTS)
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, Object.fromEntries(NAMES.map((name) => [name, 'alive']))) }))
  }, 90_000)
  afterAll(async () => {
    await cleanupAll()
    // The daemons were killed, not stopped: their replicas' files would outlive them.
    for (const name of NAMES) rmSync(`/dev/shm/meshd-${name}`, { recursive: true, force: true })
  })
  beforeEach((ctx) => {
    ctx.onTestFailed(async () => {
      const services = (await api<Array<View & { spec: { name: string } }>>(nodes[0]!.api, 'GET', '/v1/services').catch(() => ({ body: [] }))).body
      for (const s of services) console.log(`[diagnostics] ${s.spec.name}: ${summary(s)}`)
      for (const node of nodes) {
        const lines = node.output().split('\n').filter((l) => /warn|error/i.test(l)).slice(-8)
        console.log(`[diagnostics] ${node.name} exit ${node.child.exitCode}, last warnings:\n${lines.join('\n')}`)
      }
    })
  })

  it('creates a secret with the CLI; PostgreSQL starts from it and a client logs in by name with it from every node', async () => {
    const created = await meshd(nodes[1]!, ['secret', 'create', 'db-pass', '-'], PASS1)
    expect(created, created.stderr).toMatchObject({ code: 0, stdout: 'db-pass: created, version 1' })
    await everywhere('secret', 'db-pass', 1)
    const listed = await meshd(nodes[2]!, ['secret', 'ls'])
    expect(listed.stdout).toContain('db-pass')
    const inspected = JSON.parse((await meshd(nodes[0]!, ['secret', 'inspect', 'db-pass', '--json'])).stdout) as Stored
    expect(inspected).toMatchObject({ name: 'db-pass', version: 1, versions: [1], size: PASS1.length, usedBy: [] })

    expect((await call(nodes[0]!, 'PUT', '/v1/services/db', db)).status).toBe(201)
    expect((await call(nodes[1]!, 'PUT', '/v1/services/client', client)).status).toBe(201)
    await settled('db', 1, 1)
    const clients = (await settled('client', 1, 3)).replicas
    expect(await sessionsFromEveryClient(clients)).toEqual(NAMES)
    await sessionsThroughEveryNode(PASS1)
    const wrong = await psqlVia(HOSTS[0]!, `${PASS1}x`)
    expect(wrong.code).not.toBe(0)
    expect(wrong.stderr).toContain('password authentication failed')

    const expected = JSON.stringify([
      { service: 'client', pinned: false, version: 1, running: { 1: 3 }, outdated: 0 },
      { service: 'db', pinned: false, version: 1, running: { 1: 1 }, outdated: 0 }
    ])
    for (const node of nodes) {
      let last = ''
      await waitFor(async () => {
        const uses = (await call<Stored>(node, 'GET', '/v1/secrets/db-pass')).body.usedBy
        last = JSON.stringify(uses.sort((a, b) => a.service.localeCompare(b.service)))
        return last === expected
      }, { timeoutMs: 15_000, what: `db-pass's usedBy on ${node.name}` }).catch((err: Error) => diagnose(err, last))
    }
  }, 240_000)

  it('puts the secret on a tmpfs, mode 0400, read-only, and nowhere else: disks, logs, Docker, API answers', async () => {
    const replicas = [...(await view('db')).replicas, ...(await view('client')).replicas]
    expect(replicas).toHaveLength(4)
    for (const { container, node } of replicas) {
      const exec = async (script: string): Promise<Outcome> => await run('docker', ['exec', container, 'sh', '-c', script])
      expect((await exec('busybox stat -f -c %T /run/secrets/db-pass')).stdout, node).toBe('tmpfs')
      expect((await exec('busybox stat -c "%a %u %g" /run/secrets/db-pass')).stdout, node).toBe(`400 ${POSTGRES_UID} ${POSTGRES_UID}`)
      expect((await exec('echo x > /run/secrets/db-pass')).code, `${node}: writing the secret`).not.toBe(0)
      expect((await exec('busybox sha256sum /run/secrets/db-pass')).stdout.split(' ')[0], node).toBe(sha256(PASS1))
    }
    // The control of the scan below: the one place the value must be, the host's tmpfs behind the bind mount.
    const mounts = JSON.parse((await run('docker', ['inspect', '--format', '{{json .HostConfig.Mounts}}', replicas[0]!.container])).stdout) as Array<{ Source: string, Target: string, ReadOnly: boolean }>
    const mount = mounts.find((m) => m.Target === '/run/secrets/db-pass')
    console.log(`db's secret: ${JSON.stringify(mount)}`)
    expect(mount?.ReadOnly).toBe(true)
    expect(mount?.Source.startsWith(`/dev/shm/meshd-${replicas[0]!.node}/`)).toBe(true)
    expect(readFileSync(mount!.Source).includes(Buffer.from(PASS1))).toBe(true)
    await assertNowhere([PASS1])
  }, 120_000)

  it('serves a config from its target path, and a config update rolls it out with no failed request', async () => {
    expect(await meshd(nodes[0]!, ['config', 'create', 'site', '-'], SITE1)).toMatchObject({ code: 0, stdout: 'site: created, version 1' })
    await everywhere('config', 'site', 1)
    expect((await call(nodes[2]!, 'PUT', '/v1/services/web', web)).status).toBe(201)
    const before = await settled('web', 1, 3)
    for (const host of HOSTS) await waitFor(async () => (await get(host, WEB_PORT, '/')).body === SITE1, { timeoutMs: 30_000, what: `${host}:${WEB_PORT} to serve the config` })

    const loops = HOSTS.map((host) => requestLoop(host, WEB_PORT, '/', 3))
    await new Promise((resolve) => setTimeout(resolve, 500))
    const updated = await meshd(nodes[1]!, ['config', 'update', 'site', '-'], SITE2)
    expect(updated.code, updated.stderr).toBe(0)
    const after = await settled('web', 2, 3)
    await new Promise((resolve) => setTimeout(resolve, 500))
    const results = await Promise.all(loops.map(async (loop) => await loop.stop()))
    const failures = results.flatMap((r) => r.failures)
    const bodies = new Set(results.flatMap((r) => [...r.bodies.keys()]))
    console.log(`config update under load: ${failures.length} of ${results.reduce((n, r) => n + r.total, 0)} requests failed; ${updated.stdout.split('\n')[0]}`)
    expect(failures).toEqual([])
    expect([...bodies].sort()).toEqual([SITE1, SITE2].sort())
    expect(after.rollout).toMatchObject({ phase: 'completed', generation: 2, updated: 3, total: 3 })
    expect(after.replicas.map((r) => r.container).filter((id) => before.replicas.some((b) => b.container === id))).toEqual([])

    for (const replica of after.replicas) {
      const [ip, port] = replica.endpoint.split(':')
      expect((await get(ip!, Number(port), '/')).body, `replica ${replica.slot} on ${replica.node} at ${replica.endpoint}`).toBe(SITE2)
    }
    for (const host of HOSTS) expect((await get(host, WEB_PORT, '/')).body, host).toBe(SITE2)
    expect((await meshd(nodes[2]!, ['config', 'inspect', 'site', '--show'])).stdout).toBe(SITE2.trim())
    const shown = (await call<{ data: string, usedBy: Use[] }>(nodes[0]!, 'GET', '/v1/configs/site?show=1')).body
    expect(Buffer.from(shown.data, 'base64').toString()).toBe(SITE2)
    expect(shown.usedBy).toEqual([{ service: 'web', pinned: false, version: 2, running: { 2: 3 }, outdated: 0 }])
  }, 240_000)

  it('rolls the services that follow a secret on update, and leaves one pinned to version 1 running as it was', async () => {
    expect((await call(nodes[0]!, 'PUT', '/v1/services/pinned', pinned)).status).toBe(201)
    const pinnedBefore = await settled('pinned', 1, 1)
    const pinnedContainers = NAMES.flatMap((n) => containersOf(n, 'pinned'))
    const dbBefore = await view('db')
    const clientBefore = await view('client')
    const webGeneration = (await view('web')).generation

    const updated = await meshd(nodes[2]!, ['secret', 'update', 'db-pass', '-'], PASS2)
    expect(updated.code, updated.stderr).toBe(0)
    console.log(`secret update: ${updated.stdout.replace(/\n/g, ' | ')}`)
    expect(updated.stdout).toMatch(/^rolling to version 2: .*\bdb\b/m)
    expect(updated.stdout).toMatch(/^rolling to version 2: .*\bclient\b/m)
    expect(updated.stdout).toContain('pinned, not rolled: pinned@1')
    const dbAfter = await settled('db', dbBefore.generation + 1, 1)
    const clientAfter = await settled('client', clientBefore.generation + 1, 3)
    const replaced = (before: View, after: View): string[] => after.replicas.map((r) => r.container).filter((id) => before.replicas.some((b) => b.container === id))
    expect(replaced(dbBefore, dbAfter)).toEqual([])
    expect(replaced(clientBefore, clientAfter)).toEqual([])

    // A fresh PostgreSQL initialised from version 2: the new password works from everywhere, the old one nowhere.
    expect(await sessionsFromEveryClient(clientAfter.replicas)).toEqual(NAMES)
    await sessionsThroughEveryNode(PASS2)
    expect((await psqlVia(HOSTS[1]!, PASS1)).stderr).toContain('password authentication failed')

    const pinnedAfter = await view('pinned')
    expect(pinnedAfter.generation).toBe(pinnedBefore.generation)
    expect(pinnedAfter.replicas.map((r) => r.container)).toEqual(pinnedBefore.replicas.map((r) => r.container))
    expect(NAMES.flatMap((n) => containersOf(n, 'pinned'))).toEqual(pinnedContainers)
    const hashIn = async (id: string): Promise<string> => (await run('docker', ['exec', id, 'busybox', 'sha256sum', '/run/secrets/db-pass'])).stdout.split(' ')[0] ?? ''
    expect(await hashIn(pinnedContainers[0]!)).toBe(sha256(PASS1))
    for (const replica of clientAfter.replicas) expect(await hashIn(replica.container), replica.node).toBe(sha256(PASS2))
    expect((await view('web')).generation).toBe(webGeneration)

    const secret = (await call<Stored>(nodes[0]!, 'GET', '/v1/secrets/db-pass')).body
    console.log(`db-pass after the update: ${JSON.stringify(secret)}`)
    expect(secret).toMatchObject({ version: 2, versions: [1, 2], size: PASS2.length })
    const use = (service: string): Use | undefined => secret.usedBy.find((u) => u.service === service)
    expect(use('db')).toEqual({ service: 'db', pinned: false, version: 2, running: { 2: 1 }, outdated: 0 })
    expect(use('client')).toEqual({ service: 'client', pinned: false, version: 2, running: { 2: 3 }, outdated: 0 })
    expect(use('pinned')).toMatchObject({ service: 'pinned', pinned: true, version: 1, running: { 1: 1 } })
    await assertNowhere([PASS1, PASS2])
  }, 300_000)

  it('refuses to remove a secret in use, a spec naming a missing one, and content over 512 KiB', async () => {
    const rm = await meshd(nodes[0]!, ['secret', 'rm', 'db-pass'])
    expect(rm.code).not.toBe(0)
    expect(rm.stderr).toContain('is used by')
    const refused = await call(nodes[1]!, 'DELETE', '/v1/secrets/db-pass')
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('MESHD_IN_USE')
    expect((await call(nodes[2]!, 'DELETE', '/v1/configs/site')).status).toBe(409)
    expect((await call<Stored>(nodes[2]!, 'GET', '/v1/secrets/db-pass')).body.version).toBe(2)

    const missing = await call(nodes[0]!, 'PUT', '/v1/services/orphan', { ...pinned, name: 'orphan', secrets: [{ source: 'no-such-secret' }] })
    expect(missing.status).toBe(400)
    expect(missing.body.error).toMatchObject({ code: 'MESHD_INVALID_SPEC', path: 'secrets[0].source' })
    expect(missing.body.error.message).toContain('no-such-secret')
    const noConfig = await call(nodes[0]!, 'PUT', '/v1/services/orphan', { name: 'orphan', image: IMAGE, configs: [{ source: 'no-such-config', target: '/x' }] })
    expect(noConfig.body.error).toMatchObject({ code: 'MESHD_INVALID_SPEC', path: 'configs[0].source' })
    expect((await call(nodes[0]!, 'GET', '/v1/services/orphan')).status).toBe(404)

    // Over the body limit (600 KiB), and one byte over the content limit in a body the API reads.
    const big = randomBytes(600 * 1024)
    const tooBig = await call(nodes[1]!, 'POST', '/v1/secrets', { name: 'big', data: big.toString('base64') })
    expect(tooBig.status).toBe(413)
    const over = await call(nodes[1]!, 'POST', '/v1/secrets', { name: 'big', data: randomBytes(512 * 1024 + 1).toString('base64') })
    expect(over.status).toBe(413)
    expect(over.body.error).toMatchObject({ code: 'MESHD_TOO_LARGE', path: 'data' })
    expect((await call(nodes[1]!, 'PUT', '/v1/secrets/db-pass', { data: big.toString('base64') })).status).toBe(413)
    const cliBig = await meshd(nodes[2]!, ['secret', 'create', 'big', '-'], big)
    expect(cliBig.code).not.toBe(0)
    expect(cliBig.stderr).toContain('512 KiB')
    console.log(`600 KiB: API ${tooBig.status} ${tooBig.body.error?.code}; 512 KiB + 1: ${over.status} ${over.body.error.code}; CLI: ${cliBig.stderr}`)
    expect((await call(nodes[0]!, 'GET', '/v1/secrets/big')).status).toBe(404)

    // Unused, it goes.
    expect((await meshd(nodes[0]!, ['secret', 'create', 'spare', '-'], randomBytes(12).toString('hex'))).code).toBe(0)
    await everywhere('secret', 'spare', 1)
    expect(await meshd(nodes[1]!, ['secret', 'rm', 'spare'])).toMatchObject({ code: 0, stdout: 'spare: removed' })
    await waitFor(async () => (await call(nodes[2]!, 'GET', '/v1/secrets/spare')).status === 404, { timeoutMs: 15_000, what: 'spare gone on every node' })
  }, 120_000)
})
