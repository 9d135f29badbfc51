// The routing mesh against real TCP upstreams on loopback addresses.

import { afterEach, describe, expect, it } from 'vitest'
import { connect } from 'node:net'
import type { Server } from 'node:net'
import { proxy } from '../../src/proxy/index.ts'
import type { Proxy, ProxyInit, ServiceStats } from '../../src/proxy/index.ts'
import { PROXY_HOST, dialProxy, echo, namer, request, serve, shut, silent, sleep } from './helpers.ts'
import type { Client } from './helpers.ts'

const A = '127.0.0.102'
const B = '127.0.0.103'
const C = '127.0.0.104'
const UP = 19101

let servers: Server[] = []
let proxies: Proxy[] = []
let clients: Client[] = []

async function started (init: Partial<ProxyInit> = {}): Promise<Proxy> {
  const p = proxy({ host: PROXY_HOST, log: silent, ...init })
  proxies.push(p)
  await p.start()
  return p
}

async function upstream (s: Promise<Server>): Promise<Server> {
  const server = await s
  servers.push(server)
  return server
}

async function client (port: number, localAddress?: string): Promise<Client> {
  const c = await dialProxy(port, localAddress)
  clients.push(c)
  return c
}

function service (p: Proxy, name: string): ServiceStats {
  const s = p.stats().services.find(x => x.service === name)
  if (s === undefined) throw new Error(`no stats for ${name}`)
  return s
}

afterEach(async () => {
  for (const c of clients) c.destroy()
  await Promise.all(proxies.map(async p => { await p.stop() }))
  await Promise.all(servers.map(shut))
  servers = []
  proxies = []
  clients = []
})

describe('proxy', () => {
  it('spreads connections over every endpoint', async () => {
    await Promise.all([A, B, C].map(h => upstream(namer(h, UP))))
    const p = await started()
    await p.update([{ service: 'web', published: 19001, endpoints: [A, B, C].map(h => `${h}:${UP}`) }])
    const seen = new Map<string, number>()
    for (let batch = 0; batch < 6; batch++) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => request(19001)))
      for (const a of answers) seen.set(a, (seen.get(a) ?? 0) + 1)
    }
    expect([...seen.keys()].sort()).toEqual([A, B, C].map(h => `${h}:${UP}`))
    const s = service(p, 'web')
    expect(s.connections.total).toBe(60)
    expect(s.endpoints.map(e => e.connections.total).reduce((x, y) => x + y)).toBe(60)
    expect(s.bytesOut).toBe(60 * `${A}:${UP}`.length)
  })

  it('retries another endpoint when one refuses, and marks it down', async () => {
    await upstream(namer(A, UP))
    const dead = '127.0.0.105:19199'
    const p = await started()
    await p.update([{ service: 'web', published: 19002, endpoints: [dead, `${A}:${UP}`] }])
    for (let i = 0; i < 20; i++) expect(await request(19002)).toBe(`${A}:${UP}`)
    const s = service(p, 'web')
    expect(s.retries).toBeGreaterThan(0)
    const e = s.endpoints.find(x => x.endpoint === dead)!
    expect(e.down).toBe(true)
    expect(e.errors).toBeGreaterThan(0)
    expect(e.connections.total).toBe(0)
  })

  it('replays a connection an upstream accepted and closed without answering (a dead container behind Docker\'s proxy)', async () => {
    // A reset, even after the client's FIN: the request never reached a server.
    const resetter = await upstream(serve(B, UP, (sock) => { sock.on('error', () => {}); sock.destroy() }))
    await upstream(echo(A, UP))
    let p = await started()
    await p.update([{ service: 'web', published: 19012, endpoints: [`${B}:${UP}`, `${A}:${UP}`] }])
    for (let i = 0; i < 20; i++) expect(await request(19012, `ping ${i}`)).toBe(`ping ${i}`)
    expect(service(p, 'web').retries).toBeGreaterThan(0)
    expect(service(p, 'web').endpoints.find(x => x.endpoint === `${B}:${UP}`)!.down).toBe(true)
    await p.stop()
    await Promise.all([resetter, ...servers].map(shut))
    servers = []

    // A clean close while the client is still sending (no FIN yet): replayed too.
    await upstream(serve(B, UP, (sock) => { sock.on('error', () => {}); sock.end() }))
    await upstream(namer(A, UP))
    p = await started()
    await p.update([{ service: 'web', published: 19014, endpoints: [`${B}:${UP}`, `${A}:${UP}`] }])
    for (let i = 0; i < 20; i++) expect(await request(19014, `ping ${i}`, false)).toBe(`${A}:${UP}`)
    expect(service(p, 'web').retries).toBeGreaterThan(0)
  })

  it('never replays a whole request (FIN included) that a server closed cleanly without answering', async () => {
    let received = 0
    await upstream(serve(A, UP, (sock) => {
      sock.on('error', () => {})
      sock.on('data', () => { received++ })
      sock.on('end', () => { sock.end() })
    }, { allowHalfOpen: true }))
    await upstream(serve(B, UP, (sock) => {
      sock.on('error', () => {})
      sock.on('data', () => { received++ })
      sock.on('end', () => { sock.end() })
    }, { allowHalfOpen: true }))
    const p = await started()
    await p.update([{ service: 'web', published: 19015, endpoints: [`${A}:${UP}`, `${B}:${UP}`] }])
    for (let i = 0; i < 10; i++) expect(await request(19015, `upload ${i}`)).toBe('')
    expect(received).toBe(10)
    expect(service(p, 'web').retries).toBe(0)
  })

  it('passes on an upstream\'s close once it has answered, without replaying', async () => {
    await upstream(namer(A, UP))
    const p = await started()
    await p.update([{ service: 'web', published: 19013, endpoints: [`${A}:${UP}`] }])
    expect(await request(19013, 'hello')).toBe(`${A}:${UP}`)
    expect(service(p, 'web').retries).toBe(0)
  })

  it('sends no new connections to a removed endpoint, drains its open ones, then closes them', async () => {
    await upstream(echo(A, UP))
    await upstream(namer(B, UP))
    const p = await started({ drainTimeoutMs: 600 })
    await p.update([{ service: 'web', published: 19003, endpoints: [`${A}:${UP}`] }])
    const held = await client(19003)
    expect(await held.roundTrip('before')).toBe('before')
    await p.update([{ service: 'web', published: 19003, endpoints: [`${B}:${UP}`] }])
    for (let i = 0; i < 10; i++) expect(await request(19003)).toBe(`${B}:${UP}`)
    expect(await held.roundTrip('during')).toBe('during')
    const drained = service(p, 'web').endpoints.find(e => e.endpoint === `${A}:${UP}`)!
    expect(drained.draining).toBe(true)
    expect(drained.connections.active).toBe(1)
    await held.closed
  })

  it('passes a client half-close on and still returns the whole response', async () => {
    const big = 'x'.repeat(1 << 20)
    await upstream(serve(A, UP, (s) => {
      let n = 0
      s.on('data', (c: Buffer) => { n += c.length })
      s.on('end', () => { s.end(`got ${n}\n${big}`) })
    }, { allowHalfOpen: true }))
    const p = await started()
    await p.update([{ service: 'web', published: 19004, endpoints: [`${A}:${UP}`] }])
    const answer = await request(19004, 'y'.repeat(100_000), true)
    expect(answer).toBe(`got 100000\n${big}`)
  })

  it('closes an idle connection', async () => {
    await upstream(echo(A, UP))
    const p = await started({ idleTimeoutMs: 200 })
    await p.update([{ service: 'web', published: 19005, endpoints: [`${A}:${UP}`] }])
    const c = await client(19005)
    expect(await c.roundTrip('hi')).toBe('hi')
    const t0 = Date.now()
    await c.closed
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150)
    expect(Date.now() - t0).toBeLessThan(2000)
    await sleep(20)
    expect(service(p, 'web').connections.active).toBe(0)
  })

  it('refuses connections beyond the cap and counts them', async () => {
    await upstream(echo(A, UP))
    const p = await started({ maxConnections: 2 })
    await p.update([{ service: 'web', published: 19006, endpoints: [`${A}:${UP}`] }])
    const one = await client(19006)
    const two = await client(19006)
    expect(await one.roundTrip('1')).toBe('1')
    expect(await two.roundTrip('2')).toBe('2')
    expect(await request(19006, 'over', false)).toBe('')
    expect(service(p, 'web').refused).toBe(1)
    one.destroy()
    await one.closed
    await sleep(50)
    const three = await client(19006)
    expect(await three.roundTrip('3')).toBe('3')
  })

  it('reports a port already taken, does not crash, and recovers once it is free', async () => {
    await upstream(namer(A, UP))
    const blocker = await serve(PROXY_HOST, 19007, (s) => { s.destroy() })
    const p = await started()
    const routes = [{ service: 'web', published: 19007, endpoints: [`${A}:${UP}`] }]
    await p.update(routes)
    expect(p.problems()).toEqual([{ service: 'web', published: 19007, error: 'EADDRINUSE' }])
    await shut(blocker)
    await p.update(routes)
    expect(p.problems()).toEqual([])
    expect(await request(19007)).toBe(`${A}:${UP}`)
  })

  it('reports two services publishing the same port', async () => {
    const p = await started()
    await p.update([
      { service: 'web', published: 19008, endpoints: [] },
      { service: 'api', published: 19008, endpoints: [] }
    ])
    expect(p.problems().map(x => x.service)).toEqual(['api'])
  })

  it('sends a PROXY protocol v2 header with the client address first', async () => {
    let header: Buffer | undefined
    await upstream(serve(A, UP, (s) => {
      let got = Buffer.alloc(0)
      s.on('data', (c: Buffer) => {
        got = Buffer.concat([got, c])
        if (got.length >= 28 + 5) { header = got.subarray(0, 28); s.end(got.subarray(28)) }
      })
    }))
    const p = await started()
    await p.update([{ service: 'web', published: 19009, endpoints: [`${A}:${UP}`], proxyProtocol: true }])
    const c = await client(19009, '127.0.0.109')
    expect(await c.roundTrip('hello')).toBe('hello')
    expect(header).toBeDefined()
    const h = header!
    expect(h.subarray(0, 12)).toEqual(Buffer.from('0d0a0d0a000d0a515549540a', 'hex'))
    expect(h[12]).toBe(0x21)
    expect(h[13]).toBe(0x11)
    expect(h.readUInt16BE(14)).toBe(12)
    expect([...h.subarray(16, 20)].join('.')).toBe('127.0.0.109')
    expect([...h.subarray(20, 24)].join('.')).toBe(PROXY_HOST)
    expect(h.readUInt16BE(24)).toBe(c.socket.localPort)
    expect(h.readUInt16BE(26)).toBe(19009)
  })

  it('closes listeners and connections on stop, and stop is idempotent', async () => {
    await upstream(echo(A, UP))
    const p = await started()
    await p.update([{ service: 'web', published: 19010, endpoints: [`${A}:${UP}`] }])
    const c = await client(19010)
    expect(await c.roundTrip('x')).toBe('x')
    await p.stop()
    await p.stop()
    await c.closed
    const err = await new Promise<string>((resolve) => {
      const s = connect({ host: PROXY_HOST, port: 19010 })
      s.on('error', (e: NodeJS.ErrnoException) => { resolve(e.code ?? '') })
      s.on('connect', () => { s.destroy(); resolve('connected') })
    })
    expect(err).toBe('ECONNREFUSED')
  })

  it('closes the listener of a route that went away', async () => {
    await upstream(namer(A, UP))
    const p = await started()
    await p.update([{ service: 'web', published: 19011, endpoints: [`${A}:${UP}`] }])
    expect(await request(19011)).toBe(`${A}:${UP}`)
    await p.update([])
    await expect(request(19011)).rejects.toThrow(/ECONNREFUSED/)
  })

  it('delivers concurrent downloads byte for byte, slow readers among them', async () => {
    // Each connection gets 8 MiB of its own pattern: reads reuse buffers, so one stream's
    // bytes must never show up in another's, nor a buffer be reused before it was sent.
    const size = 8 * 1024 * 1024
    const payload = (seed: number): Buffer => { const b = Buffer.allocUnsafe(size); for (let i = 0; i < size; i += 4) b.writeUInt32LE((i * 2654435761 + seed) >>> 0, i); return b }
    const sent = new Map<number, Buffer>()
    let next = 0
    await upstream(serve(A, UP, (s) => {
      s.on('error', () => {})
      const seed = next++
      const body = payload(seed)
      sent.set(seed, body)
      s.end(Buffer.concat([Buffer.from([seed]), body]))
    }))
    const p = await started()
    await p.update([{ service: 'bulk', published: 19012, endpoints: [`${A}:${UP}`] }])
    const download = async (slow: boolean): Promise<Buffer> => await new Promise((resolve, reject) => {
      const chunks: Buffer[] = []
      const socket = connect({ host: PROXY_HOST, port: 19012 })
      socket.on('data', (chunk) => {
        chunks.push(chunk)
        if (slow) { socket.pause(); setTimeout(() => socket.resume(), 1) }
      })
      socket.on('end', () => { resolve(Buffer.concat(chunks)) })
      socket.on('error', reject)
    })
    const got = await Promise.all([false, true, false, true, false, false].map(download))
    for (const answer of got) {
      const body = sent.get(answer[0]!)
      expect(body).toBeDefined()
      expect(answer.length).toBe(size + 1)
      expect(answer.subarray(1).equals(body!)).toBe(true)
    }
  }, 30_000)
})
