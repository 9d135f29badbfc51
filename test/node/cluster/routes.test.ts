// The mesh's routes: healthy replicas on members not dead, per published port.

import { describe, expect, it } from 'vitest'
import { meshRoutes } from '../../../src/node/cluster/index.ts'
import { replica, service, view } from './helpers.ts'

describe('meshRoutes', () => {
  it('routes each published port to the healthy replicas on members not dead', () => {
    const web = service('web', { replicas: 3, ports: [{ published: 8080, target: 80 }, { published: 8443, target: 443, proxyProtocol: true }] })
    const ports = (host: string) => [{ target: 80, endpoint: `${host}:1080` }, { target: 443, endpoint: `${host}:1443` }]
    const v = view({
      nodes: ['a', 'b', 'c'],
      states: { c: 'dead' },
      services: [web, service('idle', { ports: [{ published: 9000, target: 9000 }] })],
      replicas: [
        ['a', replica('web', 0, { ports: ports('10.0.0.1') })],
        ['b', replica('web', 1, { ports: ports('10.0.0.2'), state: 'starting' })],
        ['c', replica('web', 2, { ports: ports('10.0.0.3') })]
      ]
    })
    expect(meshRoutes(v)).toEqual([
      { service: 'idle', published: 9000, endpoints: [] },
      { service: 'web', published: 8080, endpoints: ['10.0.0.1:1080'] },
      { service: 'web', published: 8443, endpoints: ['10.0.0.1:1443'], proxyProtocol: true }
    ])
  })
})
