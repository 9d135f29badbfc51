// Stateful services (issue 15) on three real nodes: a real PostgreSQL whose data lives in
// a volume of its slot. Rows written survive a `docker kill` of the replica, a SIGKILL
// and restart of its node's daemon, and a drain of its node (the replica then runs on
// another node with every row: row count and checksum equal). A SIGKILLed holder makes
// the slot wait, and say why, until it is back.

import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run } from '../../support/process.ts'
import type { Outcome } from '../../support/process.ts'
import { api, BIN, cleanupAll, killDaemon, tokenOf, waitFor } from '../../support/daemon.ts'
import { startCluster, waitForMembers } from '../../support/cluster.ts'
import type { ClusterNode } from '../../support/cluster.ts'

const HOSTS = ['127.0.0.244', '127.0.0.245', '127.0.0.246']
const NAMES = ['test-vol-1', 'test-vol-2', 'test-vol-3']
const PSQL = '/usr/lib/postgresql/15/bin/psql'
const POSTGRES_UID = 999
const DB_PORT = 18532
const DB2_PORT = 18533
const DB3_PORT = 18534
const PASS = randomBytes(12).toString('hex')
const ROWS = 2000

const db = {
  name: 'db',
  image: 'meshd/postgres:15',
  replicas: 1,
  ports: [{ published: DB_PORT, target: 5432 }],
  secrets: [{ source: 'db-pass', uid: POSTGRES_UID, gid: POSTGRES_UID }],
  volumes: [{ source: 'data', target: '/var/lib/postgresql/data' }],
  health: { type: 'cmd', cmd: ['pg_isready', '-h', '127.0.0.1', '-U', 'postgres'], interval: '500ms', timeout: '5s', retries: 5, startPeriod: '60s' }
}

interface Replica { slot: number, node: string, state: string, container: string, error?: string }
interface View { replicas: Replica[], unplaced: Array<{ slot: number, reason: string }> }


/** psql on this machine through a node's published port of db. */
async function psql (host: string, sql: string, port = DB_PORT): Promise<Outcome> {
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MESHD_'))), PGPASSWORD: PASS, PGCONNECT_TIMEOUT: '3' }
  return await run(PSQL, ['-h', host, '-p', String(port), '-U', 'postgres', '-w', '-At', '-c', sql], env)
}

/** psql until the mesh on `host` has the route: a connection that failed (exit 2) ran nothing, so it is tried again. */
async function psqlOk (host: string, sql: string, port = DB_PORT): Promise<Outcome> {
  let last: Outcome = { code: null, stdout: '', stderr: '' }
  await waitFor(async () => {
    last = await psql(host, sql, port)
    return last.code !== 2
  }, { timeoutMs: 60_000, intervalMs: 300, what: `psql through ${host}:${port}` }).catch(() => {})
  return last
}

/** Row count and a checksum of every row, in order. */
const CHECKSUM = "select count(*) || ' ' || md5(string_agg(id || ':' || v, ',' order by id)) from t"

describe('a stateful PostgreSQL on three real nodes', () => {
  let nodes: ClusterNode[] = []
  let expected = ''

  const node = (name: string): ClusterNode => nodes.find((n) => n.name === name)!
  const other = (name: string): ClusterNode => nodes.find((n) => n.name !== name)!
  const view = async (via: ClusterNode): Promise<View> => (await api<View>(via.api, 'GET', '/v1/services/db')).body
  /** Waits until db's one replica is healthy (on `where`, when given, or anywhere else than `not`); returns it. */
  const healthy = async (via: ClusterNode, where: { on?: string, not?: string } = {}): Promise<Replica> => {
    let last = ''
    return await waitFor(async () => {
      const v = await view(via)
      last = JSON.stringify(v)
      const r = v.replicas.find((x) => x.state === 'healthy')
      return r !== undefined && v.replicas.length === 1 && (where.on === undefined || r.node === where.on) && (where.not === undefined || r.node !== where.not) ? r : undefined
    }, { timeoutMs: 120_000, intervalMs: 300, what: `db healthy ${JSON.stringify(where)}` }).catch((err: Error) => { throw new Error(`${err.message}; last: ${last}`) })
  }
  /** The checksum read through `host`'s mesh, once a session works. */
  const checksumVia = async (host: string, port = DB_PORT): Promise<string> => {
    let last = ''
    return await waitFor(async () => {
      const r = await psql(host, CHECKSUM, port)
      last = `${r.code} ${r.stdout} ${r.stderr}`
      return r.code === 0 ? r.stdout : undefined
    }, { timeoutMs: 60_000, intervalMs: 300, what: `a checksum through ${host}` }).catch((err: Error) => { throw new Error(`${err.message}; last: ${last}`) })
  }
  const volumesOf = (name: string, service = 'db'): string[] =>
    execFileSync('docker', ['volume', 'ls', '-q', '--filter', `label=meshd.node=${name}`, '--filter', `label=meshd.service=${service}`], { encoding: 'utf8' }).split('\n').filter(Boolean)
  /** Waits until `service`'s one replica is healthy, seen by `via` (and not on `not`). */
  const healthyOf = async (service: string, via: ClusterNode, not?: string): Promise<Replica> => {
    let last = ''
    return await waitFor(async () => {
      const v = (await api<View>(via.api, 'GET', `/v1/services/${service}`)).body
      last = JSON.stringify({ replicas: v.replicas, unplaced: v.unplaced })
      const r = v.replicas.find((x) => x.state === 'healthy' && x.node !== not)
      return r !== undefined && v.replicas.filter((x) => x.node !== not).length === 1 ? r : undefined
    }, { timeoutMs: 120_000, intervalMs: 300, what: `${service} healthy` }).catch((err: Error) => { throw new Error(`${err.message}; last: ${last}`) })
  }

  beforeAll(async () => {
    nodes = await startCluster('test-vol', HOSTS)
    await waitForMembers(nodes[0]!, Object.fromEntries(NAMES.map((n) => [n, 'alive'])))
    expect((await api(nodes[0]!.api, 'POST', '/v1/secrets', { name: 'db-pass', data: Buffer.from(PASS).toString('base64') })).status).toBe(201)
    const put = await api(nodes[0]!.api, 'PUT', '/v1/services/db', db)
    expect(put.status, JSON.stringify(put.body)).toBe(201)
    await healthy(nodes[0]!)
    const create = await psqlOk(HOSTS[0]!, `create table t (id int primary key, v text); insert into t select g, md5(g::text) from generate_series(1, ${ROWS}) g`)
    expect(create.code, create.stderr).toBe(0)
    expected = await checksumVia(HOSTS[0]!)
    expect(expected.startsWith(`${ROWS} `)).toBe(true)
  }, 240_000)

  afterAll(async () => { await cleanupAll() }, 60_000)

  it('keeps every row when the replica is killed: the new one starts on the same node, on the same volume', async () => {
    const before = await healthy(nodes[0]!)
    execFileSync('docker', ['kill', before.container], { stdio: 'ignore' })
    await waitFor(async () => (await view(nodes[0]!)).replicas.some((r) => r.container !== before.container && r.state === 'healthy'), { timeoutMs: 120_000, what: 'a new db replica' })
    const after = await healthy(nodes[0]!)
    expect(after.node).toBe(before.node)
    expect(await checksumVia(HOSTS[1]!)).toBe(expected)
  }, 180_000)

  it('keeps every row across a SIGKILL and restart of its node\'s daemon', async () => {
    const { node: holder } = await healthy(nodes[0]!)
    const index = nodes.findIndex((n) => n.name === holder)
    await killDaemon(nodes[index]!, 'SIGKILL')
    nodes[index] = await nodes[index]!.restart()
    const after = await healthy(other(holder), { on: holder })
    expect(after.node).toBe(holder)
    expect(await checksumVia(HOSTS[2]!)).toBe(expected)
  }, 180_000)

  it('moves the replica with its data when its node is drained, and deletes the old copy', async () => {
    const { node: holder } = await healthy(nodes[0]!)
    expect(volumesOf(holder)).toHaveLength(1)
    const began = Date.now()
    expect((await api(other(holder).api, 'POST', `/v1/nodes/${holder}/drain`)).status).toBe(200)
    const moved = await healthy(other(holder), { not: holder })
    console.log(`drain of ${holder}: db healthy on ${moved.node} ${Date.now() - began} ms later`)
    expect(await checksumVia(HOSTS[0]!)).toBe(expected)
    expect(volumesOf(moved.node)).toHaveLength(1)
    await waitFor(async () => volumesOf(holder).length === 0, { timeoutMs: 30_000, what: `${holder}'s copy deleted` })
    expect((await api(other(holder).api, 'POST', `/v1/nodes/${holder}/undrain`)).status).toBe(200)
    // Undrained, the node takes nothing back: the data stays where it is.
    await new Promise((resolve) => setTimeout(resolve, 3000))
    expect((await healthy(other(holder))).node).toBe(moved.node)
  }, 240_000)

  it('waits for a SIGKILLed holder, saying why, and runs there again with every row once it is back', async () => {
    const { node: holder } = await healthy(nodes[0]!)
    const index = nodes.findIndex((n) => n.name === holder)
    await killDaemon(nodes[index]!, 'SIGKILL')
    // Its container lives on without its daemon; the survivors must not start another.
    const witness = other(holder)
    const reason = await waitFor(async () => (await view(witness)).unplaced.find((u) => u.slot === 0)?.reason, { timeoutMs: 30_000, what: 'db#0 unplaced' })
    expect(reason).toBe(`waiting for ${holder}, which holds its volume data`)
    const cli = await run(process.execPath, [BIN, 'service', 'ps', 'db'], { ...process.env, MESHD_API: witness.api, MESHD_TOKEN: tokenOf(witness) })
    expect(cli.stdout).toContain(`waiting for ${holder}, which holds its volume data`)
    for (const name of NAMES.filter((n) => n !== holder)) expect(volumesOf(name)).toEqual([])
    nodes[index] = await nodes[index]!.restart()
    await healthy(witness, { on: holder })
    expect(await checksumVia(HOSTS[1]!)).toBe(expected)
    expect(node(holder).name).toBe(holder)
  }, 240_000)

  it('restores a lost holder\'s slot elsewhere from its latest backup when its volumes say so', async () => {
    const spec = { ...db, name: 'db2', ports: [{ published: DB2_PORT, target: 5432 }] }
    expect((await api(nodes[0]!.api, 'PUT', '/v1/services/db2', spec)).status).toBe(201)
    const first = await healthyOf('db2', nodes[0]!)
    const create = await psqlOk(HOSTS[0]!, `create table t (id int primary key, v text); insert into t select g, md5(g::text) from generate_series(1, ${ROWS / 2}) g`, DB2_PORT)
    expect(create.code, create.stderr).toBe(0)
    const rows = await checksumVia(HOSTS[0]!, DB2_PORT)
    // A backup schedule (and what a lost node means) changes no container: the replica keeps running.
    const withBackup = {
      ...spec,
      volumes: [{ ...spec.volumes[0], onNodeLoss: 'restore' }],
      backup: { every: '1h', keep: 2, command: ['psql', '-U', 'postgres', '-At', '-c', 'CHECKPOINT'] }
    }
    expect((await api(nodes[0]!.api, 'PUT', '/v1/services/db2', withBackup)).status).toBe(200)
    const backups = await waitFor(async () => {
      const listed = (await api<Array<{ service: string, slot: number, node: string, at: number }>>(nodes[0]!.api, 'GET', '/v1/backups?service=db2')).body
      return listed.length > 0 ? listed : undefined
    }, { timeoutMs: 60_000, what: 'a backup of db2' })
    expect(backups[0]!.node).not.toBe(first.node)
    expect((await healthyOf('db2', nodes[0]!)).container).toBe(first.container)
    const cli = await run(process.execPath, [BIN, 'backup', 'ls', 'db2'], { ...process.env, MESHD_API: nodes[0]!.api, MESHD_TOKEN: tokenOf(nodes[0]!) })
    expect(cli.stdout).toContain('db2.0')
    // Written after the backup: lost with the node.
    expect((await psqlOk(HOSTS[0]!, 'insert into t values (999999, \'late\')', DB2_PORT)).code).toBe(0)

    const index = nodes.findIndex((n) => n.name === first.node)
    await killDaemon(nodes[index]!, 'SIGKILL')
    const restored = await healthyOf('db2', other(first.node), first.node)
    console.log(`db2's node ${first.node} SIGKILLed: restored on ${restored.node} from the backup of ${backups[0]!.node}`)
    expect(await checksumVia(HOSTS.find((h) => h !== nodes[index]!.host)!, DB2_PORT)).toBe(rows)
    nodes[index] = await nodes[index]!.restart()
    // Back, the old node gives up its stale copy: the restored one holds the data now.
    await waitFor(async () => volumesOf(first.node, 'db2').length === 0, { timeoutMs: 30_000, what: `${first.node}'s stale copy of db2 deleted` })
    expect((await healthyOf('db2', nodes[0]!)).node).toBe(restored.node)
  }, 300_000)

  it('backs a slot\'s volume up to a sealed file and restores it, and refuses a tampered file changing nothing', async () => {
    const spec = { ...db, name: 'db3', ports: [{ published: DB3_PORT, target: 5432 }], backup: { every: '24h', keep: 1, command: ['psql', '-U', 'postgres', '-At', '-c', 'CHECKPOINT'] } }
    expect((await api(nodes[0]!.api, 'PUT', '/v1/services/db3', spec)).status).toBe(201)
    await healthyOf('db3', nodes[0]!)
    const created = await psqlOk(HOSTS[1]!, `create table t (id int primary key, v text); insert into t select g, md5(g::text) from generate_series(1, ${ROWS}) g`, DB3_PORT)
    expect(created.code, created.stderr).toBe(0)
    const saved = await checksumVia(HOSTS[1]!, DB3_PORT)
    const dir = mkdtempSync(join(tmpdir(), 'meshd-volume-'))
    const file = join(dir, 'db3.meshd-volume')
    const cli = async (args: string[]): Promise<Outcome> => await run(process.execPath, [BIN, ...args], { ...process.env, MESHD_API: nodes[2]!.api, MESHD_TOKEN: tokenOf(nodes[2]!) })
    try {
      let began = Date.now()
      const backup = await cli(['volume', 'backup', 'db3', '--slot', '0', '-o', file, '--json'])
      console.log(`volume backup of db3.0: ${Date.now() - began} ms, ${statSync(file).size} bytes`)
      expect(backup.code, backup.stderr).toBe(0)
      expect(JSON.parse(backup.stdout)).toMatchObject({ service: 'db3', slot: 0, volume: 'data' })
      expect(statSync(file).mode & 0o777).toBe(0o600)
      // Sealed: none of the rows' text is in the file.
      expect(readFileSync(file).includes(Buffer.from(createHash('md5').update('1').digest('hex')))).toBe(false)

      const deleted = await psqlOk(HOSTS[1]!, 'delete from t where id > 10', DB3_PORT)
      expect(deleted.code, `${deleted.stderr} ${JSON.stringify((await api(nodes[0]!.api, 'GET', '/v1/services/db3')).body.replicas)}`).toBe(0)
      const changed = await checksumVia(HOSTS[1]!, DB3_PORT)
      expect(changed).not.toBe(saved)
      const before = await healthyOf('db3', nodes[0]!)

      const bytes = readFileSync(file)
      bytes[Math.floor(bytes.length / 2)]! ^= 0x01
      const tampered = join(dir, 'tampered.meshd-volume')
      writeFileSync(tampered, bytes)
      const refused = await cli(['volume', 'restore', 'db3', '-f', tampered])
      expect(refused.code).not.toBe(0)
      expect(refused.stderr).toMatch(/nothing was changed/)
      expect(await checksumVia(HOSTS[1]!, DB3_PORT)).toBe(changed)
      expect((await healthyOf('db3', nodes[0]!)).container).toBe(before.container)

      began = Date.now()
      const restored = await cli(['volume', 'restore', 'db3', '-f', file])
      expect(restored.code, restored.stderr).toBe(0)
      const after = await healthyOf('db3', nodes[0]!)
      console.log(`volume restore of db3.0: ${Date.now() - began} ms to healthy again`)
      expect(after.node).toBe(before.node)
      expect(await checksumVia(HOSTS[1]!, DB3_PORT)).toBe(saved)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 240_000)
})
