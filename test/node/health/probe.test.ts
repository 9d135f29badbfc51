import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { parseEndpoint, probeCmd, probeHttp, probeTcp } from '../../../src/node/health/index.ts'

const servers: Array<Server | HttpServer> = []

async function listen<T extends Server | HttpServer> (server: T, host = '127.0.0.1'): Promise<string> {
  servers.push(server)
  await new Promise<void>(resolve => server.listen(0, host, resolve))
  return `${host}:${(server.address() as AddressInfo).port}`
}

async function httpServer (handler: (req: IncomingMessage, res: ServerResponse) => void, host?: string): Promise<string> {
  return await listen(createHttpServer(handler), host)
}

/** An endpoint on which nothing listens: a port that was just free. */
// An address no test listens on, and a system port nothing listens on (not even a wildcard
// listener): refused every time. A port freed by closing a listener could be taken again
// by another test's listener before the probe connects.
async function closedEndpoint (): Promise<string> {
  return '127.0.0.236:9'
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    if ('closeAllConnections' in server) server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  }
})

describe('parseEndpoint', () => {
  it('reads host:port and [v6]:port', () => {
    expect(parseEndpoint('127.0.0.11:8080')).toEqual({ host: '127.0.0.11', port: 8080 })
    expect(parseEndpoint('[::1]:80')).toEqual({ host: '::1', port: 80 })
    expect(parseEndpoint('127.0.0.1')).toBeUndefined()
    expect(parseEndpoint('127.0.0.1:0')).toBeUndefined()
  })
})

describe('probeTcp', () => {
  it('passes when a server accepts and keeps the connection', async () => {
    const endpoint = await listen(createServer(() => {}))
    expect(await probeTcp(endpoint, 1000)).toEqual({ ok: true, detail: `tcp ${endpoint}: connected` })
  })

  it('passes when a server speaks first and hangs up', async () => {
    const endpoint = await listen(createServer(socket => { socket.end('220 hello\r\n') }))
    expect((await probeTcp(endpoint, 1000)).ok).toBe(true)
  })

  it('fails on a refused connection', async () => {
    const endpoint = await closedEndpoint()
    expect(await probeTcp(endpoint, 1000)).toEqual({ ok: false, detail: `tcp ${endpoint}: ECONNREFUSED` })
  })

  it('fails when the peer hangs up at once, as Docker\'s proxy does with nothing behind it', async () => {
    const endpoint = await listen(createServer(socket => { socket.destroy() }))
    const result = await probeTcp(endpoint, 1000)
    expect(result.ok).toBe(false)
    expect(result.detail).toMatch(/closed/)
  })

  it('fails on a malformed endpoint and when aborted, without throwing', async () => {
    expect((await probeTcp('nonsense', 100)).ok).toBe(false)
    const endpoint = await listen(createServer(() => {}))
    expect(await probeTcp(endpoint, 1000, { signal: AbortSignal.abort() })).toEqual({ ok: false, detail: `tcp ${endpoint}: aborted` })
  })
})

describe('probeHttp', () => {
  it('passes on 200 and on a 302 redirect', async () => {
    const endpoint = await httpServer((req, res) => {
      if (req.url === '/moved') res.writeHead(302, { location: '/' }).end()
      else res.writeHead(200).end('ok')
    })
    expect(await probeHttp(endpoint, '/', 1000)).toEqual({ ok: true, detail: `http GET ${endpoint}/: 200` })
    expect(await probeHttp(endpoint, '/moved', 1000)).toEqual({ ok: true, detail: `http GET ${endpoint}/moved: 302` })
  })

  it('fails on 500 and 404', async () => {
    const endpoint = await httpServer((req, res) => { res.writeHead(req.url === '/missing' ? 404 : 500).end() })
    expect(await probeHttp(endpoint, '/', 1000)).toEqual({ ok: false, detail: `http GET ${endpoint}/: 500` })
    expect((await probeHttp(endpoint, '/missing', 1000)).ok).toBe(false)
  })

  it('fails on a refused connection', async () => {
    const endpoint = await closedEndpoint()
    expect(await probeHttp(endpoint, '/', 1000)).toEqual({ ok: false, detail: `http GET ${endpoint}/: ECONNREFUSED` })
  })

  it('fails when the server does not answer within the timeout', async () => {
    const endpoint = await httpServer(() => { /* never answers */ })
    const started = Date.now()
    expect(await probeHttp(endpoint, '/', 200)).toEqual({ ok: false, detail: `http GET ${endpoint}/: no answer within 200 ms` })
    expect(Date.now() - started).toBeLessThan(10_000) // gives up; it does not wait for the server
  })

  it('sends from the endpoint\'s own loopback address, on a fresh connection each time', async () => {
    const seen: string[] = []
    const endpoint = await httpServer((req, res) => {
      seen.push(`${req.socket.remoteAddress} ${req.socket.remotePort}`)
      res.end()
    }, '127.0.0.53')
    await probeHttp(endpoint, '/', 1000)
    await probeHttp(endpoint, '/', 1000)
    expect(seen).toHaveLength(2)
    expect(seen.every(entry => entry.startsWith('127.0.0.53 '))).toBe(true)
    expect(seen[0]).not.toBe(seen[1])
  })
})

describe('probeCmd', () => {
  it('passes on exit 0 and fails otherwise, with the output in the detail', async () => {
    expect(await probeCmd(async () => ({ exitCode: 0, output: '' }), ['true'], 1000)).toEqual({ ok: true, detail: 'cmd ["true"]: exit 0' })
    expect(await probeCmd(async () => ({ exitCode: 2, output: 'not ready\n' }), ['check'], 1000))
      .toEqual({ ok: false, detail: 'cmd ["check"]: exit 2: not ready' })
  })

  it('fails, never throws, when exec rejects or hangs', async () => {
    expect(await probeCmd(async () => { throw new Error('container is not running') }, ['x'], 1000))
      .toEqual({ ok: false, detail: 'cmd ["x"]: container is not running' })
    expect(await probeCmd(async () => await new Promise(() => {}), ['x'], 100))
      .toEqual({ ok: false, detail: 'cmd ["x"]: no exit within 100 ms' })
  })
})
