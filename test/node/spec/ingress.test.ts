import { describe, expect, it } from 'vitest'
import { parseServiceSpec, storedSpecProblem } from '../../../src/node/spec/index.ts'
import { MeshdError } from '../../../src/node/errors.ts'

const base = { name: 'web', image: 'nginx:1.27', ports: [{ target: 8080 }, { target: 9000, proxyProtocol: true }] }

function refusal (ingress: unknown): { path?: string, message: string } {
  try {
    parseServiceSpec({ ...base, ingress })
  } catch (err) {
    if (err instanceof MeshdError) return { path: err.path, message: err.message }
    throw err
  }
  throw new Error('accepted')
}

describe('ingress in a service spec', () => {
  it('stores hosts lower-cased, paths normalised (default "/") and tls only when true', () => {
    const spec = parseServiceSpec({ ...base, ingress: [{ host: 'Shop.Example.COM', port: 8080 }, { host: '*.example.com', path: '/api/', port: 8080, tls: true }, { host: 'x.test', path: '/a', port: 8080, tls: false }] })
    expect(spec.ingress).toEqual([
      { host: 'shop.example.com', path: '/', port: 8080 },
      { host: '*.example.com', path: '/api', port: 8080, tls: true },
      { host: 'x.test', path: '/a', port: 8080 }
    ])
    expect(storedSpecProblem(spec, 'web')).toBeUndefined()
  })

  it('leaves a spec without ingress as it was', () => {
    expect('ingress' in parseServiceSpec(base)).toBe(false)
    expect('ingress' in parseServiceSpec({ ...base, ingress: [] })).toBe(false)
  })

  it.each([
    [[{ host: 'bad_host', port: 8080 }], 'ingress[0].host'],
    [[{ host: '*.*.example.com', port: 8080 }], 'ingress[0].host'],
    [[{ host: 'a..b', port: 8080 }], 'ingress[0].host'],
    [[{ host: '-a.test', port: 8080 }], 'ingress[0].host'],
    [[{ host: `${'a'.repeat(64)}.test`, port: 8080 }], 'ingress[0].host'],
    [[{ host: 'a.test', path: 'api', port: 8080 }], 'ingress[0].path'],
    [[{ host: 'a.test', path: '/a b', port: 8080 }], 'ingress[0].path'],
    [[{ host: 'a.test', path: '/a?b', port: 8080 }], 'ingress[0].path'],
    [[{ host: 'a.test', port: 1234 }], 'ingress[0].port'],
    [[{ host: 'a.test', port: 9000 }], 'ingress[0].port'],
    [[{ host: 'a.test', port: '8080' }], 'ingress[0].port'],
    [[{ host: 'a.test', port: 8080, tls: 'yes' }], 'ingress[0].tls'],
    [[{ host: 'a.test', port: 8080, extra: 1 }], 'ingress[0].extra'],
    [[{ host: 'a.test', port: 8080 }, { host: 'A.TEST', path: '/', port: 8080 }], 'ingress[1].path'],
    [{ host: 'a.test' }, 'ingress']
  ])('refuses %j naming %s', (ingress, path) => {
    const { path: named, message } = refusal(ingress)
    expect(named).toBe(path)
    expect(message.startsWith(`${path}: `)).toBe(true)
  })

  it('says which ports the service has', () => {
    expect(refusal([{ host: 'a.test', port: 1234 }]).message).toContain('one of ports[].target (8080, 9000)')
    try {
      parseServiceSpec({ name: 'web', image: 'nginx:1.27', ingress: [{ host: 'a.test', port: 80 }] })
    } catch (err) {
      expect((err as Error).message).toContain('the service has no ports')
    }
  })
})
