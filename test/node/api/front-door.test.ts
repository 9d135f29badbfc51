// The front door through fastify's inject: Host and Origin checks, token before body,
// permissions per route, refusals closing the connection; and the server's keep-alive.

import { afterAll, describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import { buildApi } from '../../../src/node/api/index.ts'
import { serverFactory } from '../../../src/node/api/front-door.ts'
import { generateToken, hashToken, TokenIndex } from '../../../src/node/auth/index.ts'
import { clusterView } from '../../../src/node/cluster/index.ts'
import { silent } from '../../support/logger.ts'

const document = new ClusterDocument({ log: silent })
const tokens = new TokenIndex(document)
tokens.start()
const admin = generateToken()
const viewer = generateToken()
document.putToken('root', { hash: hashToken(admin), role: 'admin', createdAt: 0, createdBy: 'test' })
document.putToken('dash', { hash: hashToken(viewer), role: 'viewer', createdAt: 0, createdBy: 'test' })
const app = buildApi({
  host: '127.0.0.9', port: 7700, node: { id: 'n1', name: 'n1' }, document,
  view: () => clusterView(document.snapshot(), 'n1', () => 'alive', Date.now()),
  log: silent, tokens,
  front: { host: '127.0.0.9', port: 7700, hostNames: ['node-1.example.com'], allowOrigins: ['https://ops.example.com'] }
})
const HOST = '127.0.0.9:7700'
const call = async (method: 'GET' | 'POST' | 'PUT', url: string, headers: Record<string, string> = {}, payload?: string) =>
  await app.inject({ method, url, headers: { host: HOST, ...headers }, ...(payload === undefined ? {} : { payload }) })

describe('the API front door', () => {
  afterAll(async () => { await app.close() })

  it('answers health without a token, everything else only with one', async () => {
    expect((await call('GET', '/v1/health')).statusCode).toBe(200)
    const refused = await call('GET', '/v1/nodes')
    expect(refused.statusCode).toBe(401)
    expect(refused.headers.connection).toBe('close')
    expect((await call('GET', '/v1/nodes', { authorization: `Bearer ${admin}` })).statusCode).toBe(200)
  })

  it('checks the token before reading a body, even a huge one', async () => {
    const answer = await call('PUT', '/v1/services/web', { 'content-type': 'application/json', 'content-length': '60000000' }, '{')
    expect(answer.statusCode).toBe(401)
  })

  it('refuses a Host that is neither the node\'s address nor a --api-host-name', async () => {
    expect((await call('GET', '/v1/health', { host: 'rebind.example' })).statusCode).toBe(403)
    expect((await call('GET', '/v1/health', { host: '127.0.0.9:9999' })).statusCode).toBe(403)
    expect((await call('GET', '/v1/health', { host: 'node-1.example.com:7700' })).statusCode).toBe(200)
    expect((await call('GET', '/v1/health', { host: '127.0.0.9' })).statusCode).toBe(200)
  })

  it('refuses a foreign Origin, lets the node\'s own and a listed one in', async () => {
    const auth = { authorization: `Bearer ${admin}` }
    expect((await call('POST', '/v1/nodes/n1/drain', { ...auth, origin: 'https://evil.example' })).statusCode).toBe(403)
    expect(document.drain('n1')).toBeUndefined()
    expect((await call('GET', '/v1/nodes', { ...auth, origin: 'https://ops.example.com' })).statusCode).toBe(200)
    expect((await call('GET', '/v1/nodes', { ...auth, origin: `http://${HOST}` })).statusCode).toBe(200)
  })

  it('answers an unknown route 404 only with a token', async () => {
    expect((await call('GET', '/v1/nope')).statusCode).toBe(401)
    expect((await call('GET', '/v1/nope', { authorization: `Bearer ${viewer}` })).statusCode).toBe(404)
  })

  it('creates a token once, lists none of their values, and refuses duplicate names', async () => {
    const auth = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }
    const created = await call('POST', '/v1/tokens', auth, JSON.stringify({ name: 'ci', role: 'deployer', services: ['web*'], expiresIn: '1h' }))
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({ name: 'ci', role: 'deployer', services: ['web*'], token: expect.stringMatching(/^meshd_/) })
    expect((await call('POST', '/v1/tokens', auth, JSON.stringify({ name: 'ci', role: 'viewer' }))).statusCode).toBe(409)
    const bad = await call('POST', '/v1/tokens', auth, JSON.stringify({ name: 'x', role: 'root' }))
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.path).toBe('role')
    expect((await call('POST', '/v1/tokens', auth, JSON.stringify({ name: 'y', role: 'viewer', services: ['web'] }))).json().error.path).toBe('services')
    const listed = await call('GET', '/v1/tokens', auth)
    expect(listed.body).not.toMatch(/meshd_|hash/)
  })
})

describe('the API server', () => {
  it('keeps an idle keep-alive connection 72 s and says so, so a busy client never reuses one being closed', async () => {
    const server = serverFactory({ host: '127.0.0.9', port: 0, hostNames: [], allowOrigins: [] })((_req, res) => { res.end('ok') })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.9', resolve))
    try {
      const { port } = server.address() as { port: number }
      const answer = await fetch(`http://127.0.0.9:${port}/`)
      expect(await answer.text()).toBe('ok')
      expect(answer.headers.get('keep-alive')).toBe('timeout=72')
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
