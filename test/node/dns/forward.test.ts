// Forwarding, against fake upstream resolvers on loopback addresses: never a real one.

import { createSocket } from 'node:dgram'
import { TRUNCATED_RESPONSE, decode, encode } from 'dns-packet'
import { afterEach, describe, expect, it } from 'vitest'
import { dnsServer } from '../../../src/node/dns/index.ts'
import type { DnsServer, DnsServerInit } from '../../../src/node/dns/index.ts'
import { nameTable } from '../../../src/node/dns/table.ts'
import { silent } from '../../support/logger.ts'
import { fakeUpstream, query, rcodeOf, tcpQuery, udpAsk, udpQuery, upstreamAnswer } from './helpers.ts'
import type { FakeUpstream, Target } from './helpers.ts'

const HOST = '127.0.0.163'
const UPSTREAM_A = '127.0.0.164'
const UPSTREAM_B = '127.0.0.165'
const CLIENT = '127.0.0.161'

const table = nameTable([{ service: 'db', address: '10.213.0.2', slots: [] }])
const cleanup: Array<() => Promise<void>> = []

afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close()
})

async function upstream (host: string, reply: Parameters<typeof fakeUpstream>[1]): Promise<FakeUpstream> {
  const fake = await fakeUpstream(host, reply)
  cleanup.push(fake.close)
  return fake
}

async function server (upstreams: Target[], init: Partial<DnsServerInit> = {}): Promise<{ dns: DnsServer, at: Target }> {
  const dns = dnsServer({ host: HOST, port: 0, table: () => table, upstreams, log: silent, ...init })
  await dns.start()
  cleanup.push(() => dns.stop())
  return { dns, at: dns.address()! }
}

describe('DnsServer forwarding', () => {
  it('forwards a name outside meshd and relays the upstream\'s answer under the client\'s id', async () => {
    const fake = await upstream(UPSTREAM_A, (q) => upstreamAnswer(q, ['93.184.215.14']))
    const { dns, at } = await server([fake])
    const response = await udpQuery(at, query('Example.COM', 'A', { id: 31337 }), CLIENT)
    expect(response.id).toBe(31337)
    expect(response.flag_aa).toBe(false)
    expect(response.answers).toMatchObject([{ name: 'Example.COM', data: '93.184.215.14', ttl: 300 }])
    expect(fake.received).toHaveLength(1)
    expect(fake.received[0]!.query.questions).toEqual([{ name: 'Example.COM', type: 'A', class: 'IN' }])
    expect(dns.stats()).toMatchObject({ forwarded: 1, local: 0, errors: 0, upstreams: [`${UPSTREAM_A}:${fake.port}`] })
  })

  it('forwards a single label the table does not know, and answers one it knows without asking', async () => {
    const fake = await upstream(UPSTREAM_A, (q) => upstreamAnswer(q, ['192.0.2.1']))
    const { at } = await server([fake])
    expect((await udpQuery(at, query('printer'), CLIENT)).answers).toMatchObject([{ data: '192.0.2.1' }])
    expect((await udpQuery(at, query('db'), CLIENT)).answers).toMatchObject([{ data: '10.213.0.2' }])
    expect((await udpQuery(at, query('nope.meshd'), CLIENT)).flag_aa).toBe(true)
    expect(fake.received.map((r) => r.query.questions![0]!.name)).toEqual(['printer'])
  })

  it('offers recursion (RA) on local answers when it has an upstream', async () => {
    const fake = await upstream(UPSTREAM_A, () => undefined)
    const { at } = await server([fake])
    expect((await udpQuery(at, query('db'), CLIENT)).flag_ra).toBe(true)
  })

  it('answers SERVFAIL when the upstream stays silent past the timeout', async () => {
    const fake = await upstream(UPSTREAM_A, () => undefined)
    const { dns, at } = await server([fake], { forwardTimeoutMs: 300 })
    const started = performance.now()
    const response = await udpQuery(at, query('slow.example'), CLIENT)
    const took = performance.now() - started
    expect(rcodeOf(response)).toBe('SERVFAIL')
    expect(took).toBeGreaterThanOrEqual(250)
    expect(took).toBeLessThan(2000)
    expect(dns.stats()).toMatchObject({ errors: 1, pendingForwards: 0 })
  })

  it('answers SERVFAIL at once when the upstream refuses the port (ICMP), well before the timeout', async () => {
    const closed = createSocket('udp4')
    await new Promise<void>((resolve) => { closed.bind({ address: UPSTREAM_A, port: 0 }, resolve) })
    const port = closed.address().port
    await new Promise<void>((resolve) => { closed.close(() => { resolve() }) })
    const { at } = await server([{ host: UPSTREAM_A, port }], { forwardTimeoutMs: 5000 })
    const started = performance.now()
    expect(rcodeOf(await udpQuery(at, query('example.com'), CLIENT))).toBe('SERVFAIL')
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('moves on to the next upstream when one is silent or refuses, within the one deadline', async () => {
    const silentOne = await upstream(UPSTREAM_A, () => undefined)
    const answering = await upstream(UPSTREAM_B, (q) => upstreamAnswer(q, ['192.0.2.2']))
    const { at } = await server([silentOne, answering], { forwardTimeoutMs: 600 })
    const started = performance.now()
    expect((await udpQuery(at, query('example.org'), CLIENT)).answers).toMatchObject([{ data: '192.0.2.2' }])
    // The silent one had half of the deadline.
    expect(performance.now() - started).toBeGreaterThanOrEqual(250)
    expect(silentOne.received).toHaveLength(1)

    const refusing = await upstream('127.0.0.166', (q) => ({ ...upstreamAnswer(q, []), flags: 5 }))
    const second = await server([refusing, answering].map(({ host, port }) => ({ host, port })), { host: '127.0.0.167' })
    expect((await udpQuery(second.at, query('example.net'), CLIENT)).answers).toMatchObject([{ data: '192.0.2.2' }])
  })

  it('relays an upstream\'s REFUSED when no upstream does better', async () => {
    const refusing = await upstream(UPSTREAM_A, (q) => ({ ...upstreamAnswer(q, []), flags: 5 }))
    const { at } = await server([refusing])
    expect(rcodeOf(await udpQuery(at, query('example.com'), CLIENT))).toBe('REFUSED')
  })

  it('ignores a response with another id or question, and takes the right one', async () => {
    const fake = await upstream(UPSTREAM_A, (q) => [
      Buffer.from(encode({ ...upstreamAnswer(q, ['6.6.6.6']), id: (q.id! + 1) % 65536 })),
      Buffer.from(encode({ ...upstreamAnswer(q, ['6.6.6.7']), questions: [{ name: 'evil.example', type: 'A' }] })),
      Buffer.from([1, 2, 3]),
      Buffer.from(encode(upstreamAnswer(q, ['192.0.2.3'])))
    ])
    const { at } = await server([fake])
    expect((await udpQuery(at, query('example.com'), CLIENT)).answers).toMatchObject([{ data: '192.0.2.3' }])
  })

  it('asks the upstream again over TCP when it truncates and the client asked over TCP', async () => {
    const many = Array.from({ length: 60 }, (_, i) => `192.0.2.${i + 1}`)
    const fake = await upstream(UPSTREAM_A, (q, transport) => transport === 'udp'
      ? { ...upstreamAnswer(q, []), flags: TRUNCATED_RESPONSE }
      : upstreamAnswer(q, many))
    const { at } = await server([fake])
    const response = await tcpQuery(at, query('big.example'))
    expect(response.flag_tc).toBe(false)
    expect(response.answers).toHaveLength(60)
    expect(fake.received.map((r) => r.transport)).toEqual(['udp', 'tcp'])
  })

  it('passes a truncated upstream answer on to a UDP client, which then asks over TCP', async () => {
    const many = Array.from({ length: 60 }, (_, i) => `192.0.2.${i + 1}`)
    const fake = await upstream(UPSTREAM_A, (q, transport) => transport === 'udp'
      ? { ...upstreamAnswer(q, []), flags: TRUNCATED_RESPONSE }
      : upstreamAnswer(q, many))
    const { at } = await server([fake])
    const response = await udpQuery(at, query('big.example'), CLIENT)
    expect(response.flag_tc).toBe(true)
    expect(fake.received.map((r) => r.transport)).toEqual(['udp'])
  })

  it('truncates an upstream answer too large for the UDP client itself', async () => {
    const many = Array.from({ length: 60 }, (_, i) => `192.0.2.${i + 1}`)
    // An upstream that ignores the client's 512 bytes.
    const fake = await upstream(UPSTREAM_A, (q) => upstreamAnswer(q, many))
    const { dns, at } = await server([fake])
    const response = await udpQuery(at, query('big.example'), CLIENT)
    expect(response).toMatchObject({ flag_tc: true, answers: [] })
    expect(dns.stats().truncated).toBe(1)
    expect(decode(encode(upstreamAnswer(fake.received[0]!.query, many))).answers).toHaveLength(60)
  })

  it('counts a forward as pending while the upstream is silent, and abandons it on stop', async () => {
    const fake = await upstream(UPSTREAM_A, () => undefined)
    const { dns, at } = await server([fake], { forwardTimeoutMs: 5000 })
    const pending = udpAsk(at, [query('a.example')], { from: CLIENT, waitMs: 600 })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(dns.stats().pendingForwards).toBe(1)
    const started = performance.now()
    await dns.stop()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(dns.stats().pendingForwards).toBe(0)
    expect(performance.now() - started).toBeLessThan(1000)
    expect(await pending).toEqual([]) // no answer after the stop
  })
})
