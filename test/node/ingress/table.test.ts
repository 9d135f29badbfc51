import { describe, expect, it } from 'vitest'
import { ingressRoutes } from '../../../src/node/cluster/index.ts'
import type { IngressRoute } from '../../../src/node/cluster/index.ts'
import { matchRoute, pathMatches, routeTable } from '../../../src/node/ingress/index.ts'
import { node, replica, service, view } from '../cluster/helpers.ts'

const route = (host: string, path: string, service = `${host}${path}`): IngressRoute => ({ host, path, port: 80, service, endpoints: [] })

describe('the ingress route table', () => {
  const table = routeTable([
    route('a.test', '/'), route('a.test', '/api'), route('a.test', '/api/v2'),
    route('*.example.com', '/'), route('*.example.com', '/docs'), route('shop.example.com', '/cart')
  ])
  const serviceOf = (host: string, path: string): string | undefined => matchRoute(table, host, path)?.service

  it('takes the longest path prefix, on segment boundaries', () => {
    expect(serviceOf('a.test', '/')).toBe('a.test/')
    expect(serviceOf('a.test', '/api')).toBe('a.test/api')
    expect(serviceOf('a.test', '/api/')).toBe('a.test/api')
    expect(serviceOf('a.test', '/api/x')).toBe('a.test/api')
    expect(serviceOf('a.test', '/apix')).toBe('a.test/')
    expect(serviceOf('a.test', '/api/v2/users')).toBe('a.test/api/v2')
    expect(serviceOf('a.test', '/api/v20')).toBe('a.test/api')
  })

  it('prefers the exact host, then the wildcard of one label', () => {
    expect(serviceOf('shop.example.com', '/cart/1')).toBe('shop.example.com/cart')
    expect(serviceOf('shop.example.com', '/')).toBe('*.example.com/')
    expect(serviceOf('docs.example.com', '/docs/x')).toBe('*.example.com/docs')
    expect(serviceOf('a.b.example.com', '/')).toBeUndefined()
    expect(serviceOf('example.com', '/')).toBeUndefined()
    expect(serviceOf('other.test', '/')).toBeUndefined()
  })

  it('matches a prefix on segment boundaries only', () => {
    expect(pathMatches('/', '/anything')).toBe(true)
    expect(pathMatches('/a', '/a')).toBe(true)
    expect(pathMatches('/a', '/a/b')).toBe(true)
    expect(pathMatches('/a', '/ab')).toBe(false)
    expect(pathMatches('/a/b', '/a')).toBe(false)
  })
})

describe('ingressRoutes (cluster/ingress.ts)', () => {
  const nodes = { n1: node('n1', { host: '10.0.0.1', meshPort: 7702 }), n2: node('n2', { host: '10.0.0.2', meshPort: 7702 }), n3: node('n3', { host: '10.0.0.3', meshPort: 7702 }) }
  const ports = (ip: string) => [{ target: 8080, endpoint: `${ip}:8080` }]

  it('gives each route the healthy replicas on members not dead: own directly, others through their mesh port', () => {
    const v = view({
      nodes,
      self: 'n1',
      states: { n3: 'dead' },
      services: [service('web', { ports: [{ target: 8080 }], ingress: [{ host: 'a.test', path: '/', port: 8080 }] })],
      replicas: [
        ['n1', replica('web', 0, { ports: ports('10.208.0.2') })],
        ['n2', replica('web', 1, { ports: ports('10.208.16.2') })],
        ['n2', replica('web', 2, { ports: ports('10.208.16.3'), state: 'starting' })],
        ['n3', replica('web', 3, { ports: ports('10.208.32.2') })]
      ]
    })
    expect(ingressRoutes(v)).toEqual([{ host: 'a.test', path: '/', port: 8080, service: 'web', endpoints: ['10.208.0.2:8080', 'mesh://10.0.0.2:7702/web/1/8080'] }])
  })

  it('settles a route claimed twice the same way everywhere: the older service keeps it', () => {
    const claim = { ports: [{ target: 80 }], ingress: [{ host: 'a.test', path: '/', port: 80 }] }
    const v = view({ nodes, services: [service('zeta', claim, { createdAt: 1 }), service('alpha', claim, { createdAt: 2 })] })
    expect(ingressRoutes(v).map((r) => r.service)).toEqual(['zeta'])
  })
})
