import { describe, expect, it } from 'vitest'
import { downstreamHeaders, hostOf, parseEndpoint, pathOf, replayable, requestIdOf, upstreamHeaders } from '../../../src/node/ingress/index.ts'

describe('the headers the ingress passes on', () => {
  const forwarding = { client: '198.51.100.7', proto: 'https' as const, requestId: 'rid-1' }

  it('appends the client to X-Forwarded-For and sets -Proto, -Host and the request id', () => {
    const headers = upstreamHeaders({ host: 'A.test:8443', 'x-forwarded-for': '203.0.113.1', 'x-forwarded-proto': 'http', accept: '*/*' }, forwarding)
    expect(headers).toEqual({ host: 'A.test:8443', accept: '*/*', 'x-forwarded-for': '203.0.113.1, 198.51.100.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'A.test:8443', 'x-request-id': 'rid-1' })
    expect(upstreamHeaders({ host: 'a' }, forwarding)['x-forwarded-for']).toBe('198.51.100.7')
  })

  it('drops hop-by-hop headers and those Connection names, but keeps an upgrade', () => {
    const incoming = { host: 'a', connection: 'keep-alive, x-secret', 'keep-alive': 'timeout=5', 'x-secret': '1', te: 'trailers', 'proxy-connection': 'x', upgrade: 'websocket', 'content-length': '3' }
    const plain = upstreamHeaders(incoming, forwarding)
    for (const name of ['connection', 'keep-alive', 'x-secret', 'te', 'proxy-connection', 'upgrade']) expect(plain[name]).toBeUndefined()
    expect(plain['content-length']).toBe('3')
    const upgrade = upstreamHeaders({ host: 'a', connection: 'Upgrade', upgrade: 'websocket' }, { ...forwarding, upgrade: true })
    expect(upgrade.connection).toBe('upgrade')
    expect(upgrade.upgrade).toBe('websocket')
    expect(downstreamHeaders({ connection: 'close', 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] }, 'rid-1'))
      .toEqual({ 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'], 'x-request-id': 'rid-1' })
  })

  it('keeps a valid client request id, else makes one', () => {
    expect(requestIdOf('abc-123_x.y')).toBe('abc-123_x.y')
    expect(requestIdOf(['first', 'second'])).toBe('first')
    expect(requestIdOf('bad id with spaces')).toMatch(/^[0-9a-f-]{36}$/)
    expect(requestIdOf('x'.repeat(129))).toMatch(/^[0-9a-f-]{36}$/)
    expect(requestIdOf(undefined)).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('reads the host and path a request asks for', () => {
    expect(hostOf('Shop.Example.com:8080')).toBe('shop.example.com')
    expect(hostOf('a.test.')).toBe('a.test')
    expect(hostOf('[::1]:80')).toBe('[::1]')
    expect(hostOf('bad host')).toBeUndefined()
    expect(hostOf(undefined)).toBeUndefined()
    expect(pathOf('/api/x?y=1#z')).toBe('/api/x')
    expect(pathOf('http://a.test/x')).toBe('/')
  })

  it('replays only idempotent requests without a body', () => {
    expect(replayable('GET', {})).toBe(true)
    expect(replayable('PUT', { 'content-length': '0' })).toBe(true)
    expect(replayable('PUT', { 'content-length': '4' })).toBe(false)
    expect(replayable('GET', { 'transfer-encoding': 'chunked' })).toBe(false)
    expect(replayable('POST', {})).toBe(false)
  })

  it('parses both kinds of endpoint', () => {
    expect(parseEndpoint('10.208.0.2:8080')).toEqual({ host: '10.208.0.2', port: 8080 })
    expect(parseEndpoint('mesh://10.0.0.2:7702/web/1/8080')).toEqual({ host: '10.0.0.2', port: 7702, via: { service: 'web', slot: 1, port: 8080 } })
    expect(parseEndpoint('mesh://10.0.0.2:7702/web/-/8080')).toEqual({ host: '10.0.0.2', port: 7702, via: { service: 'web', port: 8080 } })
    expect(parseEndpoint('nonsense')).toBeUndefined()
  })
})
