// Services reach each other by name, only through the mesh, with network policy
// (issue 13), on three real nodes with a real PostgreSQL (meshd/postgres:15) and its
// real client: `psql -h db` from every replica of `app`, a failover of `db`, allowFrom
// enforced and observed, a removed name gone, and names outside meshd forwarded.

import { execFile } from 'node:child_process'
import { createSocket } from 'node:dgram'
import type { Socket as UdpSocket } from 'node:dgram'
import { connect } from 'node:net'
import dnsPacket from 'dns-packet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, cleanupAll, containersOf, killDaemon, removeContainersOf, waitFor } from '../../support/daemon.ts'
import { startCluster, waitForMembers } from '../../support/cluster.ts'
import type { ClusterNode } from '../../support/cluster.ts'

const HOSTS = ['127.0.0.221', '127.0.0.222', '127.0.0.223']
const NAMES = ['test-dns-1', 'test-dns-2', 'test-dns-3']
const UPSTREAM = { host: '127.0.0.224', port: 5353 }
const PASSWORD = 'open sesame'
const PG = 'meshd/postgres:15'

const db = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'db', image: PG, replicas: 1, env: { POSTGRES_PASSWORD: PASSWORD }, ports: [{ target: 5432 }],
  health: { type: 'tcp', interval: '300ms', retries: 2, startPeriod: '60s' }, ...fields
})
const client = (name: string, fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  name, image: PG, command: ['sleep', '1000000'], env: { PGPASSWORD: PASSWORD, PGCONNECT_TIMEOUT: '3' }, ...fields
})

interface Outcome { code: number, out: string }

/** Runs psql in a replica container, against `host`; never throws. */
async function psql (container: string, host: string, sql = 'select 1'): Promise<Outcome> {
  return await new Promise((resolve) => {
    execFile('docker', ['exec', container, 'psql', '-h', host, '-U', 'postgres', '-w', '-At', '-c', sql], (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, out: `${stdout}${stderr}`.trim() })
    })
  })
}

/** Every running container of a service, with the node it runs on. */
function replicasOf (service: string): Array<{ node: string, id: string }> {
  return NAMES.flatMap((node) => containersOf(node, service).map((id) => ({ node, id })))
}

/** A resolver for names outside meshd: outside.test → 127.0.0.225 (a loopback address inside any container). */
async function fakeUpstream (): Promise<UdpSocket> {
  const socket = createSocket('udp4')
  socket.on('message', (message, from) => {
    const query = dnsPacket.decode(message)
    const question = query.questions?.[0]
    const known = question?.name === 'outside.test' && question.type === 'A'
    const answer = dnsPacket.encode({
      id: query.id, type: 'response', flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3),
      questions: query.questions, answers: known ? [{ name: 'outside.test', type: 'A', ttl: 5, data: '127.0.0.225' }] : []
    })
    socket.send(answer, from.port, from.address)
  })
  await new Promise<void>((resolve) => { socket.bind(UPSTREAM.port, UPSTREAM.host, resolve) })
  return socket
}

describe('service discovery through the mesh on three real nodes', () => {
  let nodes: ClusterNode[] = []
  let upstream: UdpSocket
  const serviceOn = async (node: ClusterNode, name: string): Promise<any> => (await api(node.api, 'GET', `/v1/services/${name}`)).body
  /** PUTs db on `node` and waits until every node holds that version: the next write, on any node, then follows it instead of racing it. */
  const putDb = async (node: ClusterNode, fields: Record<string, unknown>): Promise<void> => {
    const put = await api<{ version: string }>(node.api, 'PUT', '/v1/services/db', db(fields))
    expect(put.status).toBe(200)
    await waitFor(async () => (await Promise.all(nodes.map(async (n) => (await serviceOn(n, 'db')).version === put.body.version))).every(Boolean),
      { timeoutMs: 10_000, what: `db's change ${JSON.stringify(fields)} on every node` })
  }

  beforeAll(async () => {
    upstream = await fakeUpstream()
    nodes = await startCluster('test-dns', HOSTS, () => ['--dns-forward', `${UPSTREAM.host}:${UPSTREAM.port}`])
    await waitForMembers(nodes[0]!, Object.fromEntries(NAMES.map((n) => [n, 'alive'])))
    expect((await api(nodes[0]!.api, 'PUT', '/v1/services/db', db())).status).toBe(201)
    expect((await api(nodes[0]!.api, 'PUT', '/v1/services/app', client('app', { mode: 'global' }))).status).toBe(201)
    await waitFor(async () => (await serviceOn(nodes[0]!, 'db')).status.healthy === 1 && (await serviceOn(nodes[0]!, 'app')).status.healthy === 3,
      { timeoutMs: 90_000, what: 'db and three app replicas healthy' })
  }, 120_000)
  afterAll(async () => {
    upstream?.close()
    await cleanupAll()
  })

  it('lets every app replica reach db by name with a real client session, and db answers on no node address', async () => {
    const apps = replicasOf('app')
    expect(apps.map((a) => a.node).sort()).toEqual(NAMES)
    for (const app of apps) {
      const session = await waitFor(async () => { const r = await psql(app.id, 'db', 'select 40 + 2'); return r.code === 0 ? r : undefined }, { timeoutMs: 30_000, what: `psql -h db from ${app.node}` })
      expect(session.out).toBe('42')
    }
    const view = await serviceOn(nodes[0]!, 'db')
    console.log(`db on ${NAMES[0]}: address ${view.address}, names ${view.names.join(' ')}`)
    expect(view.names).toEqual(expect.arrayContaining(['db', 'db.meshd', 'db-0', 'db-0.meshd']))
    for (const host of HOSTS) {
      const refused = await new Promise<boolean>((resolve) => {
        const socket = connect({ host, port: 5432 })
        socket.on('connect', () => { socket.destroy(); resolve(false) })
        socket.on('error', () => { resolve(true) })
      })
      expect(refused, `${host}:5432`).toBe(true)
    }
  }, 90_000)

  it('keeps db\'s address through a failover, and app\'s sessions work again', async () => {
    const before = await serviceOn(nodes[0]!, 'db')
    const victim = NAMES.indexOf(before.replicas[0].node)
    const survivor = nodes[(victim + 1) % 3]!
    const addressBefore = (await serviceOn(survivor, 'db')).address
    const app = replicasOf('app').find((a) => a.node === survivor.name)!
    const killedAt = Date.now()
    await killDaemon(nodes[victim]!)
    removeContainersOf(NAMES[victim]!)
    await waitFor(async () => (await psql(app.id, 'db')).code === 0, { timeoutMs: 60_000, intervalMs: 200, what: 'psql -h db again after the crash' })
    console.log(`db's node SIGKILLed: app's sessions work again ${Date.now() - killedAt} ms later (a fresh PostgreSQL from the cluster its image carries)`)
    expect((await serviceOn(survivor, 'db')).address).toBe(addressBefore)
    nodes[victim] = await nodes[victim]!.restart()
    await waitForMembers(nodes[0]!, Object.fromEntries(NAMES.map((n) => [n, 'alive'])), 30_000)
    await waitFor(async () => (await serviceOn(nodes[0]!, 'app')).status.healthy === 3, { timeoutMs: 60_000, what: 'app on every node again' })
  }, 150_000)

  it('enforces db.allowFrom: app in, other refused and counted, let in by a change, counted but allowed under observe', async () => {
    expect((await api(nodes[0]!.api, 'PUT', '/v1/services/other', client('other'))).status).toBe(201)
    await waitFor(async () => (await serviceOn(nodes[0]!, 'other')).status.healthy === 1, { timeoutMs: 60_000, what: 'other healthy' })
    const other = replicasOf('other')[0]!
    const otherNode = nodes[NAMES.indexOf(other.node)]!
    const app = replicasOf('app')[0]!
    await waitFor(async () => (await psql(other.id, 'db')).code === 0, { timeoutMs: 30_000, what: 'other reaching db before any policy' })

    await putDb(nodes[0]!, { allowFrom: ['app'] })
    await waitFor(async () => (await psql(other.id, 'db')).code !== 0, { timeoutMs: 5000, what: 'other refused' })
    expect((await psql(app.id, 'db')).code).toBe(0)
    const denied = (await serviceOn(otherNode, 'db')).mesh.stats.denied
    console.log(`denied at ${other.node}: ${JSON.stringify(denied)}`)
    expect(denied.other).toBeGreaterThan(0)

    const changedAt = Date.now()
    await putDb(nodes[1]!, { allowFrom: ['app', 'other'] })
    await waitFor(async () => (await psql(other.id, 'db')).code === 0, { timeoutMs: 5000, intervalMs: 100, what: 'other let in' })
    console.log(`allowFrom change → other let in after ${Date.now() - changedAt} ms`)

    await putDb(nodes[0]!, { allowFrom: ['app'], policy: 'observe' })
    let last = ''
    await waitFor(async () => {
      const stats = (await serviceOn(otherNode, 'db')).mesh.stats
      const session = await psql(other.id, 'db')
      last = `psql ${session.code} ${session.out}; stats at ${other.node}: ${JSON.stringify(stats)}`
      return (stats.observed?.other ?? 0) > 0 && session.code === 0
    }, { timeoutMs: 10_000, what: 'other let through and counted under observe' }).catch((err: Error) => { throw new Error(`${err.message}; last: ${last}`) })
    // The policy never restarted db: its replica is the same container.
    expect((await serviceOn(nodes[0]!, 'db')).generation).toBe(1)
  }, 120_000)

  it('answers NXDOMAIN for a removed service within 2 s, and still resolves names outside meshd', async () => {
    const app = replicasOf('app')[0]!
    const removedAt = Date.now()
    expect((await api(nodes[0]!.api, 'DELETE', '/v1/services/db')).status).toBe(200)
    await waitFor(async () => /translate host name "db"/.test((await psql(app.id, 'db')).out), { timeoutMs: 5000, intervalMs: 100, what: 'db unknown' })
    console.log(`db removed → unknown to app after ${Date.now() - removedAt} ms`)
    // outside.test resolves (through the upstream) to a loopback address inside the container: refused, not unknown.
    const outside = await psql(app.id, 'outside.test')
    expect(outside.out).not.toMatch(/translate host name/)
    expect(outside.out).toMatch(/127\.0\.0\.225|refused/)
  }, 60_000)
})
