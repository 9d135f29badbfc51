// `meshd stack ls|services|ps|rm` parsed by commander and run against the real API on
// loopback (an in-memory document, no daemon): what each command prints, as a table and
// with --json.

import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { Command } from 'commander'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import { buildApi } from '../../../src/node/api/index.ts'
import { generateToken, hashToken, TokenIndex } from '../../../src/node/auth/index.ts'
import { clusterView } from '../../../src/node/cluster/index.ts'
import { registerStackCommands } from '../../../src/node/cli/stack.ts'
import { secretsKeyOf } from '../../../src/node/stored/index.ts'
import { silent } from '../../support/logger.ts'

const document = new ClusterDocument({ log: silent })
const tokens = new TokenIndex(document)
tokens.start()
const token = generateToken()
document.putToken('ops', { hash: hashToken(token), role: 'operator', createdAt: 0, createdBy: 'test' })
document.putNode('n1', { name: 'node-1', host: '127.0.0.1', apiPort: 7700, p2pPort: 7701, labels: {}, draining: false, startedAt: 0 })
let app: FastifyInstance
let api = ''

beforeAll(async () => {
  const port = await freePort()
  app = buildApi({
    host: '127.0.0.1', port, node: { id: 'n1', name: 'node-1' }, document,
    view: () => clusterView(document.snapshot(), 'n1', () => 'alive', Date.now()),
    log: silent, tokens, secretsKey: secretsKeyOf(randomBytes(32)),
    front: { host: '127.0.0.1', port, hostNames: [], allowOrigins: [] }
  })
  await app.listen({ host: '127.0.0.1', port })
  api = `http://127.0.0.1:${port}`
  const service = (short: string, replicas: number) => ({ name: `shop-${short}`, image: 'meshd/busybox:latest', stack: 'shop', replicas, ports: short === 'web' ? [{ published: 18080, target: 80 }] : [] })
  const body = { services: [service('db', 1), service('web', 2)], secrets: [{ name: 'shop-db-pass', data: Buffer.from('s3cret').toString('base64') }] }
  const answer = await app.inject({ method: 'PUT', url: '/v1/stacks/shop', payload: body, headers: { host: `127.0.0.1:${port}`, authorization: `Bearer ${token}` } })
  expect(answer.statusCode).toBe(200)
  document.putReplica('n1', 'shop-web#0', { service: 'shop-web', slot: 0, generation: 1, node: 'node-1', container: 'c0ffee0123456789', endpoint: '10.208.0.2', ports: [], state: 'healthy', updatedAt: 0 })
})
afterAll(async () => { await app.close() })

/** Runs `meshd stack ARGS` against the API; what it printed. */
async function run (args: string[]): Promise<string> {
  let out = ''
  const stdout = new Writable({ write (chunk: Buffer, _encoding, done) { out += chunk.toString(); done() } })
  const program = new Command('meshd').exitOverride()
  registerStackCommands(program, { stdout })
  await program.parseAsync(['node', 'meshd', 'stack', ...args, '--api', api, '--api-token', token])
  return out
}

describe('meshd stack', () => {
  it('ls shows each stack with its services and replicas running of those desired', async () => {
    expect(await run(['ls'])).toBe('NAME   SERVICES   REPLICAS\nshop   2          1/3\n')
    expect(JSON.parse(await run(['ls', '--json']))).toEqual([{ name: 'shop', services: 2, desired: 3, running: 1 }])
  })

  it('services lists them as service ls does, and the files the stack created', async () => {
    const out = await run(['services', 'shop'])
    expect(out.split('\n')[0]).toMatch(/^NAME\s+REPLICAS\s+IMAGE\s+PORTS\s+GENERATION\s+UPDATED$/)
    expect(out).toMatch(/shop-db\s+0\/1\s+meshd\/busybox:latest/)
    expect(out).toMatch(/shop-web\s+1\/2\s+meshd\/busybox:latest\s+\*:18080->80\/tcp\s+1/)
    expect(out).toContain('created by the stack: secrets shop-db-pass\n')
    expect(JSON.parse(await run(['services', 'shop', '--json'])).map((s: { spec: { name: string } }) => s.spec.name)).toEqual(['shop-db', 'shop-web'])
  })

  it('ps lists the replicas of every service as service ps does', async () => {
    const out = await run(['ps', 'shop'])
    expect(out).toMatch(/shop-web\.0\s+node-1\s+healthy\s+1\s+c0ffee012345\s+10\.208\.0\.2/)
    expect(JSON.parse(await run(['ps', 'shop', '--json']))).toEqual([expect.objectContaining({ service: 'shop-web', slot: 0, node: 'node-1', state: 'healthy' })])
  })

  it('rm removes its services and the secret it created, and says so', async () => {
    expect(await run(['rm', 'shop', '--detach'])).toBe('shop-db: removed\nshop-web: removed\nsecret shop-db-pass: removed\n')
    expect(document.services()).toEqual({})
    expect(document.secrets()).toEqual({})
    await expect(run(['ps', 'shop'])).rejects.toThrow(/stack "shop" not found/)
  })
})

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}
