// Hops between two nodes' meshes, service addresses and network policy, against real
// TCP on loopback: proxy A listens on a "service address" and reaches an upstream of
// node B through B's mesh port; the hop is authenticated, carries the client's
// address for a PROXY header, and is refused when forged or replayed.

import { connect } from 'node:net'
import type { Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { proxy } from '../../src/proxy/index.ts'
import type { Proxy, ProxyInit } from '../../src/proxy/index.ts'
import { encodeMeshHeader } from '../../src/proxy/mesh-header.ts'
import { namer, serve, shut, silent, sleep } from './helpers.ts'

const NODE_A = '127.0.0.105'
const NODE_B = '127.0.0.106'
const SERVICE_ADDRESS = '127.0.0.107'
const REPLICA = '127.0.0.108'
const CLIENT = '127.0.0.109'
const KEY = Buffer.alloc(32, 7)
const MESH_PORT = 19201

let servers: Server[] = []
let proxies: Proxy[] = []

async function started (host: string, init: Partial<ProxyInit> = {}): Promise<Proxy> {
  const p = proxy({ host, log: silent, meshKey: KEY, ...init })
  proxies.push(p)
  await p.start()
  return p
}

/** Connects from `from` to host:port, sends nothing, resolves with what came back until the close. */
async function fetchFrom (host: string, port: number, from = CLIENT): Promise<string> {
  return await new Promise((resolve) => {
    const s = connect({ host, port, localAddress: from })
    const chunks: Buffer[] = []
    s.on('data', (c: Buffer) => chunks.push(c))
    s.on('error', () => {})
    s.on('close', () => { resolve(Buffer.concat(chunks).toString('latin1')) })
  })
}

afterEach(async () => {
  await Promise.all(proxies.map(async (p) => { await p.stop() }))
  await Promise.all(servers.map(shut))
  servers = []
  proxies = []
})

describe('mesh hops and service addresses', () => {
  it('reaches a replica of another node through its mesh port, from a listener on a service address', async () => {
    servers.push(await namer(REPLICA, 19202))
    const b = await started(NODE_B)
    await b.serveMesh({ port: MESH_PORT, target: (service, slot, port) => service === 'db' && port === 5432 && (slot === undefined || slot === 0) ? `${REPLICA}:19202` : undefined })
    const a = await started(NODE_A)
    await a.update([{ service: 'db', published: 19203, address: SERVICE_ADDRESS, endpoints: [`mesh://${NODE_B}:${MESH_PORT}/db/-/5432`] }])
    expect(await fetchFrom(SERVICE_ADDRESS, 19203)).toBe(`${REPLICA}:19202`)
    expect(a.stats().services[0]?.listeners).toEqual([`${SERVICE_ADDRESS}:19203`])
    // The client is A's; at B it is a hop (the autoscaler counts it once, where it came in).
    expect(a.stats().services[0]?.clients.total).toBe(1)
    expect(b.stats().services[0]).toMatchObject({ connections: { total: 1 }, clients: { total: 0 } })
    // A slot address: the hop names the slot.
    await a.update([{ service: 'db', published: 19204, address: SERVICE_ADDRESS, endpoints: [`mesh://${NODE_B}:${MESH_PORT}/db/0/5432`] }])
    expect(await fetchFrom(SERVICE_ADDRESS, 19204)).toBe(`${REPLICA}:19202`)
  })

  it('writes the PROXY header at the last node with the first node\'s client', async () => {
    let header = ''
    servers.push(await serve(REPLICA, 19205, (s) => { s.once('data', (c: Buffer) => { header = c.toString('latin1'); s.end('ok') }) }))
    const b = await started(NODE_B)
    await b.serveMesh({ port: MESH_PORT, target: () => `${REPLICA}:19205` })
    const a = await started(NODE_A)
    await a.update([{ service: 'web', published: 19206, proxyProtocol: true, endpoints: [`mesh://${NODE_B}:${MESH_PORT}/web/-/80`] }])
    const answer = await new Promise<string>((resolve) => {
      const s = connect({ host: NODE_A, port: 19206, localAddress: CLIENT })
      s.on('data', (c: Buffer) => { resolve(c.toString()) })
      s.write('hi')
    })
    expect(answer).toBe('ok')
    // PROXY v2, TCP over IPv4: the source address is the client's at node A.
    const bytes = Buffer.from(header, 'latin1')
    expect(bytes.subarray(16, 20).join('.')).toBe(CLIENT)
  })

  it('refuses a hop with a wrong key, a replayed header, or one for a replica it does not have', async () => {
    servers.push(await namer(REPLICA, 19207))
    const b = await started(NODE_B)
    await b.serveMesh({ port: MESH_PORT, target: (service) => service === 'db' ? `${REPLICA}:19207` : undefined })
    const send = async (header: Buffer): Promise<string> => await new Promise((resolve) => {
      const s = connect({ host: NODE_B, port: MESH_PORT, localAddress: CLIENT })
      const chunks: Buffer[] = []
      s.on('data', (c: Buffer) => chunks.push(c))
      s.on('error', () => {})
      s.on('close', () => { resolve(Buffer.concat(chunks).toString()) })
      s.write(header)
    })
    const good = encodeMeshHeader(KEY, { service: 'db', port: 5432, source: 'app' })
    expect(await send(good)).toBe(`${REPLICA}:19207`)
    expect(await send(good)).toBe('') // the same header again
    expect(await send(encodeMeshHeader(Buffer.alloc(32, 8), { service: 'db', port: 5432, source: 'app' }))).toBe('')
    expect(await send(encodeMeshHeader(KEY, { service: 'nope', port: 5432, source: 'app' }))).toBe('')
    expect(await send(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toBe('')
  })

  it('enforces allowFrom by source service, counts denials, and only counts them under policy observe', async () => {
    servers.push(await namer(REPLICA, 19208))
    const sources: Record<string, string> = { [CLIENT]: 'app', '127.0.0.110': 'other' }
    const a = await started(NODE_A, { sourceOf: (address) => sources[address] })
    const route = { service: 'db', published: 19209, address: SERVICE_ADDRESS, endpoints: [`${REPLICA}:19208`], allowFrom: ['app'] }
    await a.update([route])
    expect(await fetchFrom(SERVICE_ADDRESS, 19209, CLIENT)).toBe(`${REPLICA}:19208`)
    expect(await fetchFrom(SERVICE_ADDRESS, 19209, '127.0.0.110')).toBe('')
    expect(await fetchFrom(SERVICE_ADDRESS, 19209, '127.0.0.111')).toBe('')
    expect(a.stats().services[0]).toMatchObject({ denied: { other: 1, external: 1 }, observed: {} })
    await a.update([{ ...route, policy: 'observe' }])
    await sleep(10)
    expect(await fetchFrom(SERVICE_ADDRESS, 19209, '127.0.0.110')).toBe(`${REPLICA}:19208`)
    expect(a.stats().services[0]).toMatchObject({ denied: { other: 1, external: 1 }, observed: { other: 1 } })
    // Letting "other" in takes effect on the next connection.
    await a.update([{ ...route, allowFrom: ['app', 'other'] }])
    expect(await fetchFrom(SERVICE_ADDRESS, 19209, '127.0.0.110')).toBe(`${REPLICA}:19208`)
  })
})
