// The API's writes on the event bus: a deploy (service.deployed), an update that rolls
// (service.updated and rollout.started), one that does not (service.updated only), an
// unchanged write (nothing), a scale, a drain and undrain, a removal; a refused write emits nothing.

import { afterAll, describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import { buildApi } from '../../../src/node/api/index.ts'
import { generateToken, hashToken, TokenIndex } from '../../../src/node/auth/index.ts'
import { clusterView } from '../../../src/node/cluster/index.ts'
import { EventBus, EventService } from '../../../src/node/events/index.ts'
import { silent } from '../../support/logger.ts'

const document = new ClusterDocument({ log: silent })
document.putNode('n1', { name: 'node-1', host: '127.0.0.9', apiPort: 7700, p2pPort: 7701, labels: {}, draining: false, startedAt: 0 })
const tokens = new TokenIndex(document)
tokens.start()
const admin = generateToken()
document.putToken('root', { hash: hashToken(admin), role: 'admin', createdAt: 0, createdBy: 'test' })
const bus = new EventBus({ node: 'node-1' })
const app = buildApi({
  host: '127.0.0.9', port: 7700, node: { id: 'n1', name: 'node-1' }, document, log: silent, tokens,
  view: () => clusterView(document.snapshot(), 'n1', () => 'alive', Date.now()),
  front: { host: '127.0.0.9', port: 7700, hostNames: [], allowOrigins: [] },
  events: new EventService({ bus, key: Buffer.alloc(32), self: 'n1', members: () => [] })
})
const call = async (method: 'PUT' | 'POST' | 'DELETE', url: string, payload?: unknown) => await app.inject({
  method, url, ...(payload === undefined ? {} : { payload: payload as object }),
  headers: { host: '127.0.0.9:7700', authorization: `Bearer ${admin}` }
})
const kinds = (): string[] => bus.recent().map((e) => `${e.kind} ${e.service ?? e.member}`)
const web = { image: 'meshd/busybox:latest', replicas: 2 }

describe('the API\'s writes as events', () => {
  afterAll(async () => { await app.close() })

  it('emit what each write did, and nothing for a refused or empty one', async () => {
    expect((await call('PUT', '/v1/services/web', web)).statusCode).toBe(201)
    expect((await call('PUT', '/v1/services/web', web)).statusCode).toBe(200)
    expect((await call('PUT', '/v1/services/web', { ...web, env: { A: '1' } })).statusCode).toBe(200)
    expect((await call('PUT', '/v1/services/web', { ...web, env: { A: '1' }, update: { parallelism: 2 } })).statusCode).toBe(200)
    expect((await call('PUT', '/v1/services/web', { ...web, replicas: -1 })).statusCode).toBe(400)
    expect((await call('POST', '/v1/services/web/scale', { replicas: 5 })).statusCode).toBe(200)
    expect((await call('POST', '/v1/nodes/node-1/drain')).statusCode).toBe(200)
    expect((await call('POST', '/v1/nodes/node-1/undrain')).statusCode).toBe(200)
    expect((await call('DELETE', '/v1/services/web')).statusCode).toBe(200)
    expect((await call('DELETE', '/v1/services/web')).statusCode).toBe(404)
    expect(kinds()).toEqual([
      'service.deployed web', 'service.updated web', 'rollout.started web', 'service.updated web',
      'service.scaled web', 'node.drained node-1', 'node.undrained node-1', 'service.removed web'
    ])
    expect(bus.recent().find((e) => e.kind === 'service.scaled')).toMatchObject({ replicas: 5, node: 'node-1', message: 'web scaled to 5' })
    expect(bus.recent().find((e) => e.kind === 'rollout.started')).toMatchObject({ generation: 2 })
  })
})
