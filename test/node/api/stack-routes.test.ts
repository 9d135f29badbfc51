// The routes of stacks over HTTP: the token, services:write on every service of the
// stack (a deployer limited to "shop-*" deploys the stack "shop"), secrets:write for its
// files, a 400 naming the field from the body's root, and nothing changed on a refusal.

import { createHash, randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import { buildApi } from '../../../src/node/api/index.ts'
import { generateToken, hashToken, TokenIndex } from '../../../src/node/auth/index.ts'
import { clusterView } from '../../../src/node/cluster/index.ts'
import { secretsKeyOf } from '../../../src/node/stored/index.ts'
import { silent } from '../../support/logger.ts'

const document = new ClusterDocument({ log: silent })
const tokens = new TokenIndex(document)
tokens.start()
const [operator, shopDeployer, webDeployer, viewer] = [generateToken(), generateToken(), generateToken(), generateToken()]
document.putToken('ops', { hash: hashToken(operator), role: 'operator', createdAt: 0, createdBy: 'test' })
document.putToken('shop-ci', { hash: hashToken(shopDeployer), role: 'deployer', services: ['shop-*'], createdAt: 0, createdBy: 'test' })
document.putToken('web-ci', { hash: hashToken(webDeployer), role: 'deployer', services: ['web'], createdAt: 0, createdBy: 'test' })
document.putToken('dash', { hash: hashToken(viewer), role: 'viewer', createdAt: 0, createdBy: 'test' })
const app = buildApi({
  host: '127.0.0.9', port: 7700, node: { id: 'n1', name: 'n1' }, document,
  view: () => clusterView(document.snapshot(), 'n1', () => 'alive', Date.now()),
  log: silent, tokens, secretsKey: secretsKeyOf(randomBytes(32)),
  front: { host: '127.0.0.9', port: 7700, hostNames: [], allowOrigins: [] }
})
const call = async (method: 'GET' | 'PUT' | 'DELETE', url: string, token?: string, body?: unknown) => await app.inject({
  method, url, ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  headers: { host: '127.0.0.9:7700', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }
})
/** The digest of everything but the tokens: equal means nothing was written. */
const state = () => createHash('sha256').update(JSON.stringify([document.services(), document.secrets(), document.configs(), document.rollouts()])).digest('hex')
const service = (short: string, extra: Record<string, unknown> = {}) => ({ name: `shop-${short}`, image: 'meshd/busybox:latest', stack: 'shop', ...extra })
const PASSWORD = 'correct horse battery staple'
const secret = { name: 'shop-db-pass', data: Buffer.from(PASSWORD).toString('base64') }

describe('stack routes', () => {
  afterAll(async () => { await app.close() })

  it('need a token; a viewer may read but not write; nothing is written on a refusal', async () => {
    const before = state()
    expect((await call('PUT', '/v1/stacks/shop', undefined, { services: [service('web')] })).statusCode).toBe(401)
    expect((await call('PUT', '/v1/stacks/shop', viewer, { services: [service('web')] })).statusCode).toBe(403)
    expect((await call('DELETE', '/v1/stacks/shop', viewer)).statusCode).toBe(403)
    expect((await call('GET', '/v1/stacks', viewer)).json()).toEqual([])
    expect(state()).toBe(before)
  })

  it('check services:write on every service, and secrets:write when files come along', async () => {
    const before = state()
    const refused = await call('PUT', '/v1/stacks/shop', webDeployer, { services: [service('web')] })
    expect(refused.statusCode).toBe(403)
    expect(refused.json().error.message).toContain('"shop-web"')
    const files = await call('PUT', '/v1/stacks/shop', shopDeployer, { services: [service('web')], secrets: [secret] })
    expect(files.statusCode).toBe(403)
    expect(files.json().error.message).toContain('secrets:write')
    expect(state()).toBe(before)
    const allowed = await call('PUT', '/v1/stacks/shop', shopDeployer, { services: [service('web'), service('api')] })
    expect(allowed.statusCode).toBe(200)
    expect(allowed.json()).toMatchObject({ stack: 'shop', services: [{ name: 'shop-web', action: 'created', generation: 1 }, { name: 'shop-api', action: 'created', generation: 1 }], secrets: [], configs: [], removed: [] })
    // Removing the stack removes only services the token may write.
    expect((await call('DELETE', '/v1/stacks/shop', webDeployer)).statusCode).toBe(403)
    expect(Object.keys(document.services()).sort()).toEqual(['shop-api', 'shop-web'])
    expect((await call('DELETE', '/v1/stacks/shop', shopDeployer)).json()).toEqual({ removed: { services: ['shop-api', 'shop-web'], secrets: [], configs: [] }, kept: [] })
    expect(document.services()).toEqual({})
  })

  it('answer 400 naming the field from the body\'s root, and change nothing', async () => {
    const before = state()
    const cases: Array<[unknown, string]> = [
      [{ services: [service('web'), service('api'), service('db', { env: { FOO: 1 } })] }, 'services[2].env.FOO'],
      [{ services: [service('web'), { name: 'shop-api', image: 'meshd/busybox:latest' }] }, 'services[1].stack'],
      [{ services: [service('web', { name: 'web' })] }, 'services[0].name'],
      [{ services: [service('web'), service('web')] }, 'services[1].name'],
      [{ services: [service('web', { secrets: [{ source: 'nope' }] })] }, 'services[0].secrets[0].source'],
      [{ services: [service('web', { dependsOn: [{ service: 'shop-dbb', condition: 'healthy' }] })] }, 'services[0].dependsOn[0].service'],
      [{ services: [service('web')], secrets: [{ name: 'shop-db-pass', data: `${PASSWORD}!` }] }, 'secrets[0].data'],
      [{ services: [service('web')], configs: [{ name: 'Bad_Name', data: '' }] }, 'configs[0].name'],
      [{ services: [service('web')], secrets: [{ ...secret, mode: 1 }] }, 'secrets[0].mode'],
      [{ services: [service('web')], prune: 'yes' }, 'prune'],
      [{ services: [service('web')], force: true }, 'force'],
      [{ services: [] }, 'services']
    ]
    for (const [body, path] of cases) {
      const answer = await call('PUT', '/v1/stacks/shop', operator, body)
      expect(answer.statusCode, path).toBe(400)
      expect(answer.json().error).toMatchObject({ code: 'MESHD_INVALID_SPEC', path, message: expect.stringMatching(new RegExp(`^${path.replace(/[[\].]/g, '\\$&')}: `)) })
      expect(answer.body).not.toContain(PASSWORD)
    }
    const bad = await call('PUT', '/v1/stacks/Shop', operator, { services: [service('web')] })
    expect(bad.json().error).toMatchObject({ code: 'MESHD_INVALID_SPEC', path: 'name' })
    const big = await call('PUT', '/v1/stacks/shop', operator, { services: [service('web')], configs: [{ name: 'site', data: Buffer.alloc(600 * 1024).toString('base64') }] })
    expect(big.json().error).toMatchObject({ code: 'MESHD_TOO_LARGE', path: 'configs[0].data' })
    const ports = await call('PUT', '/v1/stacks/shop', operator, { services: [service('web', { ports: [{ published: 8080, target: 80 }] }), service('api', { ports: [{ published: 8080, target: 81 }] })] })
    expect(ports.json().error).toMatchObject({ code: 'MESHD_PORT_CONFLICT', path: 'services[1].ports[0].published' })
    expect(state()).toBe(before)
  })

  it('write nothing with dryRun, and answer what the write would do', async () => {
    const before = state()
    const answer = await call('PUT', '/v1/stacks/shop', operator, { services: [service('db', { secrets: [{ source: 'shop-db-pass' }] })], secrets: [secret], dryRun: true })
    expect(answer.statusCode).toBe(200)
    expect(answer.json()).toEqual({
      stack: 'shop', dryRun: true, services: [{ name: 'shop-db', action: 'created', generation: 1 }],
      secrets: [{ name: 'shop-db-pass', action: 'created', version: 1 }], configs: [], removed: [], rolled: []
    })
    expect(state()).toBe(before)
  })

  it('list stacks and show one, its services as views and the files it created', async () => {
    const answer = await call('PUT', '/v1/stacks/shop', operator, { services: [service('db', { replicas: 2, secrets: [{ source: 'shop-db-pass' }] }), service('web')], secrets: [secret] })
    expect(answer.statusCode).toBe(200)
    expect((await call('GET', '/v1/stacks', viewer)).json()).toEqual([{ name: 'shop', services: 2, desired: 3, running: 0 }])
    const shown = (await call('GET', '/v1/stacks/shop', viewer)).json()
    expect(shown).toMatchObject({ name: 'shop', secrets: ['shop-db-pass'], configs: [] })
    expect(shown.services.map((s: { spec: { name: string } }) => s.spec.name)).toEqual(['shop-db', 'shop-web'])
    expect(shown.services[0]).toMatchObject({ generation: 1, spec: { secrets: [{ source: 'shop-db-pass', version: 1 }] }, status: { desired: 2 } })
    expect(JSON.stringify(shown)).not.toContain(PASSWORD)
    expect((await call('GET', '/v1/stacks/nope', viewer)).json().error).toMatchObject({ code: 'MESHD_STACK_NOT_FOUND', path: 'name' })
    expect((await call('DELETE', '/v1/stacks/nope', operator)).statusCode).toBe(404)
    expect((await call('DELETE', '/v1/stacks/shop', operator)).json()).toEqual({ removed: { services: ['shop-db', 'shop-web'], secrets: ['shop-db-pass'], configs: [] }, kept: [] })
    expect(document.secrets()).toEqual({})
  })

  it('take files up to 512 KiB each (a body past the 1 MiB of other routes), and show a viewer no env value', async () => {
    const configs = ['a', 'b', 'c'].map((c) => ({ name: `shop-${c}`, data: randomBytes(500 * 1024).toString('base64') }))
    const answer = await call('PUT', '/v1/stacks/shop', operator, { services: [service('web', { env: { TOKEN: 'hunter2' } })], configs })
    expect(answer.statusCode).toBe(200)
    expect(answer.json().configs).toEqual(configs.map((c) => ({ name: c.name, action: 'created', version: 1 })))
    const shown = await call('GET', '/v1/stacks/shop', viewer)
    expect(shown.json().services[0].spec.env).toEqual({ TOKEN: '<redacted>' })
    expect((await call('GET', '/v1/stacks/shop', operator)).json().services[0].spec.env).toEqual({ TOKEN: 'hunter2' })
    expect((await call('DELETE', '/v1/stacks/shop', operator)).json().removed.configs).toEqual(['shop-a', 'shop-b', 'shop-c'])
  })
})
