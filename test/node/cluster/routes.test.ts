// The mesh's routes: healthy replicas on members not dead, per published port.

import { describe, expect, it } from 'vitest'
import { addressIndices, addressNames, localSources, localTarget, meshRoutes, nextAddressIndex, serviceAddresses } from '../../../src/node/cluster/index.ts'
import { node, replica, service, view } from './helpers.ts'

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

describe('meshRoutes with service addresses', () => {
  const range = { first: '10.208.4.0', last: '10.208.15.254' }
  const db = service('db', { replicas: 2, ports: [{ target: 5432 }], allowFrom: ['app'], policy: 'observe' }, { addressIndex: 1 })
  const nodes = { a: node('a', { host: '127.0.0.1', meshPort: 7702 }), b: node('b', { host: '127.0.0.2', meshPort: 7702 }) }
  const replicas: Array<[string, ReturnType<typeof replica>]> = [
    ['a', replica('db', 0, { ports: [{ target: 5432, endpoint: '10.208.0.5:5432' }], address: '10.208.0.5' })],
    ['b', replica('db', 1, { ports: [{ target: 5432, endpoint: '10.209.0.7:5432' }], address: '10.209.0.7' })]
  ]

  it('listens on the service\'s address and each slot\'s, reaching local replicas directly and remote ones through their node\'s mesh port', () => {
    const routes = meshRoutes(view({ self: 'a', nodes, services: [db], replicas }), { range })
    expect(routes).toEqual([
      { service: 'db', published: 5432, address: '10.208.4.16', endpoints: ['10.208.0.5:5432', 'mesh://127.0.0.2:7702/db/1/5432'], allowFrom: ['app'], policy: 'observe' },
      { service: 'db', published: 5432, address: '10.208.4.17', endpoints: ['10.208.0.5:5432'], allowFrom: ['app'], policy: 'observe' },
      { service: 'db', published: 5432, address: '10.208.4.18', endpoints: ['mesh://127.0.0.2:7702/db/1/5432'], allowFrom: ['app'], policy: 'observe' }
    ])
  })

  it('finds the local replica a hop asks for, and who is connecting by address', () => {
    const v = view({ self: 'a', nodes, services: [db], replicas })
    expect([localTarget(v, 'db', undefined, 5432), localTarget(v, 'db', 0, 5432), localTarget(v, 'db', 1, 5432), localTarget(v, 'db', 0, 80)]).toEqual(['10.208.0.5:5432', '10.208.0.5:5432', undefined, undefined])
    expect(localSources(v)).toEqual(new Map([['10.208.0.5', 'db']]))
  })
})

describe('service address indices', () => {
  it('keeps each recorded index, moves the newer of two that collide, and hands out the lowest free', () => {
    const services = Object.fromEntries([
      service('a', {}, { addressIndex: 0, createdAt: 1 }), service('b', {}, { addressIndex: 0, createdAt: 2 }),
      service('c', {}, { addressIndex: 2, createdAt: 3 }), service('d', {}, { createdAt: 4 })
    ].map((r) => [r.spec.name, r]))
    expect(addressIndices(services)).toEqual(new Map([['a', 0], ['c', 2], ['b', 1], ['d', 3]]))
    expect(nextAddressIndex(services)).toBe(4)
    expect(addressNames(serviceAddresses(services, { first: '10.0.0.0', last: '10.0.0.255' })).get('c-0')).toBe('10.0.0.33')
  })
})
