// One node's API in this process (fastify inject, nothing listens): a document with an
// operator, a deployer and a viewer token, and a JSON client. The route tests share it.

import { ClusterDocument } from '../../src/crdt/index.ts'
import { buildApi } from '../../src/node/api/index.ts'
import type { ApiInit } from '../../src/node/api/index.ts'
import { generateToken, hashToken, TokenIndex } from '../../src/node/auth/index.ts'
import { clusterView } from '../../src/node/cluster/index.ts'
import { silent } from './logger.ts'

const HOST = '127.0.0.9'

export function apiFixture (extra: Partial<ApiInit> = {}) {
  const document = new ClusterDocument({ log: silent })
  const tokens = new TokenIndex(document)
  tokens.start()
  const [operator, deployer, viewer] = [generateToken(), generateToken(), generateToken()]
  document.putToken('ops', { hash: hashToken(operator), role: 'operator', createdAt: 0, createdBy: 'test' })
  document.putToken('ci', { hash: hashToken(deployer), role: 'deployer', createdAt: 0, createdBy: 'test' })
  document.putToken('dash', { hash: hashToken(viewer), role: 'viewer', createdAt: 0, createdBy: 'test' })
  document.putNode('n1', { name: 'n1', host: HOST, apiPort: 7700, p2pPort: 7701, labels: {}, draining: false, startedAt: 0 })
  const app = buildApi({
    host: HOST, port: 7700, node: { id: 'n1', name: 'n1' }, document,
    view: () => clusterView(document.snapshot(), 'n1', () => 'alive', Date.now()),
    log: silent, tokens,
    front: { host: HOST, port: 7700, hostNames: [], allowOrigins: [] },
    ...extra
  })
  /** A request with `token` (none when undefined) and a JSON body when given. */
  const call = async (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, token?: string, body?: unknown) => await app.inject({
    method, url, ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    headers: { host: `${HOST}:7700`, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }
  })
  return { document, app, call, operator, deployer, viewer }
}
