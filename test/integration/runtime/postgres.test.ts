// meshd/postgres:15 (built by scripts/setup.sh) with plain `docker run`, no meshd: the
// image the discovery, secrets and volume tests rely on, checked on its own first. A
// server takes its password from a read-only secret file; clients reach it by container
// name on a user-defined network. Everything made here is labelled meshd.node=test-pg
// (and meshd.service, which scripts/test.sh's cleanup filters on) and removed in afterAll.
import { execFile } from 'node:child_process'
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../../support/wait.ts'
import { docker, removeAll } from './support.ts'

const PG_IMAGE = 'meshd/postgres:15'
const NODE = 'test-pg'
const NETWORK = 'meshd-test-pg-net'
const SERVER = 'meshd-test-pg-db'
const PASSWORD = 'correct horse battery staple'
/** The image's postgres user: the secret file must be readable by it. */
const POSTGRES_UID = 999
const LABELS = ['--label', `meshd.node=${NODE}`, '--label', 'meshd.service=postgres-test']

interface Outcome { code: number, stdout: string, stderr: string }

/** Runs the docker CLI and resolves its exit code and output, whether it failed or not. */
async function dockerOutcome (...args: string[]): Promise<Outcome> {
  return await new Promise((resolve) => {
    execFile('docker', args, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
      resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() })
    })
  })
}

let clients = 0
/** psql in a fresh client container on the test network, as postgres with `password`. */
async function psql (sql: string, password: string | undefined): Promise<Outcome> {
  clients += 1
  const env = password === undefined ? [] : ['-e', `PGPASSWORD=${password}`]
  return await dockerOutcome('run', '--rm', '--name', `meshd-test-pg-client-${clients}`, ...LABELS, '--network', NETWORK, ...env,
    PG_IMAGE, 'psql', '-h', SERVER, '-U', 'postgres', '-w', '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql)
}

async function removeNetwork (): Promise<void> {
  await removeAll(NODE)
  await docker('network', 'rm', NETWORK).catch(() => undefined)
}

describe('meshd/postgres:15 with plain docker run', () => {
  let secrets: string

  beforeAll(async () => {
    await removeNetwork()
    secrets = await mkdtemp(join(tmpdir(), 'meshd-test-pg-'))
    const passwordFile = join(secrets, 'db-pass')
    await writeFile(passwordFile, `${PASSWORD}\n`)
    await chown(passwordFile, POSTGRES_UID, POSTGRES_UID)
    await chmod(passwordFile, 0o400)
    await docker('network', 'create', '--label', `meshd.node=${NODE}`, NETWORK)
    await docker('run', '-d', '--name', SERVER, ...LABELS, '--network', NETWORK,
      '--mount', `type=bind,source=${passwordFile},target=/run/secrets/db-pass,readonly`, PG_IMAGE)
    // initdb then the server: ready once it answers on TCP, not only on its socket.
    const ready = await waitFor(async () => {
      if (await docker('inspect', '--format', '{{.State.Running}}', SERVER) !== 'true') return 'exited'
      return (await dockerOutcome('exec', SERVER, 'pg_isready', '-q', '-h', '127.0.0.1')).code === 0 ? 'ready' : undefined
    }, { timeoutMs: 45_000, intervalMs: 100, what: 'postgres to accept connections' })
    if (ready === 'exited') throw new Error(`the server exited: ${(await dockerOutcome('logs', SERVER)).stderr}`)
  })

  afterAll(async () => {
    await removeNetwork()
    if (secrets !== undefined) await rm(secrets, { recursive: true, force: true })
  })

  it('runs postgres itself as PID 1, as the postgres user, listening on 0.0.0.0:5432', async () => {
    const status = await docker('exec', SERVER, 'cat', '/proc/1/status')
    expect(status).toMatch(/^Uid:\s+999\s+999\s+999\s+999$/m)
    expect(await docker('exec', SERVER, 'cat', '/proc/1/cmdline')).toMatch(/^postgres\0-D\0\/var\/lib\/postgresql\/data\0/)
    const listen = await docker('exec', SERVER, 'psql', '-U', 'postgres', '-At', '-c', 'show listen_addresses', '-c', 'show port', '-c', 'show password_encryption')
    expect(listen.split('\n')).toEqual(['0.0.0.0', '5432', 'scram-sha-256'])
  })

  it('serves a client on the network by container name: create, insert, read back', async () => {
    const created = await psql('create table replicas (slot int primary key, node text not null)', PASSWORD)
    expect(created).toMatchObject({ code: 0, stdout: 'CREATE TABLE' })
    const inserted = await psql("insert into replicas values (0, 'node-1'), (1, 'node-2'), (2, 'node-3')", PASSWORD)
    expect(inserted).toMatchObject({ code: 0, stdout: 'INSERT 0 3' })
    const read = await psql('select slot, node from replicas order by slot', PASSWORD)
    expect(read).toMatchObject({ code: 0, stdout: '0|node-1\n1|node-2\n2|node-3' })
    // Over TCP (a socket has no server port), to a password stored as a SCRAM verifier.
    const auth = await psql("select inet_server_port(), rolpassword like 'SCRAM-SHA-256$%' from pg_authid where rolname = 'postgres'", PASSWORD)
    expect(auth).toMatchObject({ code: 0, stdout: '5432|t' })
  })

  it('refuses a wrong password, and no password at all', async () => {
    const wrong = await psql('select 1', 'not the password')
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain('password authentication failed for user "postgres"')
    const none = await psql('select 1', undefined)
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('no password supplied')
  })
})
