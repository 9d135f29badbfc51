import { AUTHORITATIVE_ANSWER, decode, encode } from 'dns-packet'
import type { SoaAnswer } from 'dns-packet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dnsServer } from '../../../src/node/dns/index.ts'
import type { DnsServer, NameTable } from '../../../src/node/dns/index.ts'
import { nameTable } from '../../../src/node/dns/table.ts'
import { recordingLogger, silent } from '../../support/logger.ts'
import { query, rcodeOf, tcpAsk, tcpQuery, udpAsk, udpQuery } from './helpers.ts'
import type { Target } from './helpers.ts'

const HOST = '127.0.0.160'
const CLIENT = '127.0.0.161'

const built = nameTable([
  { service: 'db', address: '10.213.0.2', slots: [{ slot: 0, address: '10.213.1.7' }] },
  { service: 'web', address: '10.213.0.3', slots: [] }
])
// A name with forty addresses: its answer is ≈ 700 bytes, over the 512 of a client without EDNS.
const many = Array.from({ length: 40 }, (_, i) => `10.214.0.${i + 1}`)
const table: NameTable = { records: new Map([...built.records, ['big.meshd', many]]), search: built.search }

let server: DnsServer
let target: Target

beforeAll(async () => {
  // No upstream at all: what is not local gets SERVFAIL (forwarding has its own test file).
  server = dnsServer({ host: HOST, port: 0, table: () => table, upstreams: [], log: silent })
  await server.start()
  target = server.address()!
})

afterAll(async () => { await server.stop() })

describe('DnsServer over UDP', () => {
  it('answers a service name with its address, authoritatively, with the query\'s id and a 5 s TTL', async () => {
    const response = await udpQuery(target, query('db', 'A', { id: 777 }), CLIENT)
    expect(response).toMatchObject({ id: 777, type: 'response', flag_aa: true, flag_rd: true, flag_ra: false, flag_tc: false })
    expect(rcodeOf(response)).toBe('NOERROR')
    expect(response.questions).toEqual([{ name: 'db', type: 'A', class: 'IN' }])
    expect(response.answers).toMatchObject([{ name: 'db', type: 'A', ttl: 5, data: '10.213.0.2' }])
  })

  it('answers a slot name, in any case, with the slot\'s address', async () => {
    const response = await udpQuery(target, query('DB-0.Meshd.'), CLIENT)
    expect(response.answers).toMatchObject([{ type: 'A', data: '10.213.1.7' }])
  })

  it('answers an unknown meshd name NXDOMAIN with the SOA, and AAAA of a known one NODATA', async () => {
    const nx = await udpQuery(target, query('nope.meshd'), CLIENT)
    expect(rcodeOf(nx)).toBe('NXDOMAIN')
    expect(nx.flag_aa).toBe(true)
    expect((nx.authorities![0] as SoaAnswer)).toMatchObject({ type: 'SOA', name: 'meshd', ttl: 2, data: { minimum: 2 } })
    const nodata = await udpQuery(target, query('web.meshd', 'AAAA'), CLIENT)
    expect(rcodeOf(nodata)).toBe('NOERROR')
    expect(nodata.answers).toEqual([])
    expect(nodata.authorities).toMatchObject([{ type: 'SOA' }])
  })

  it('answers SERVFAIL for a name to forward when there is no upstream', async () => {
    const response = await udpQuery(target, query('example.com'), CLIENT)
    expect(rcodeOf(response)).toBe('SERVFAIL')
    expect(response.answers).toEqual([])
  })

  it('sets TC on an answer over 512 bytes to a client without EDNS, and fits EDNS clients up to their size', async () => {
    const classic = await udpQuery(target, query('big.meshd'), CLIENT)
    expect(classic.flag_tc).toBe(true)
    expect(classic.answers).toEqual([])
    expect(classic.questions).toEqual([{ name: 'big.meshd', type: 'A', class: 'IN' }])
    const edns = await udpQuery(target, query('big.meshd', 'A', { edns: 4096 }), CLIENT)
    expect(edns.flag_tc).toBe(false)
    expect(edns.answers).toHaveLength(40)
    expect(edns.additionals).toMatchObject([{ type: 'OPT', udpPayloadSize: 1232 }])
    const small = await udpQuery(target, query('big.meshd', 'A', { edns: 600 }), CLIENT)
    expect(small.flag_tc).toBe(true)
  })

  it('drops malformed messages and responses, and keeps answering', async () => {
    const header = query('db').subarray(0, 12)
    const loop = Buffer.concat([query('db').subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]) // a name pointing at itself
    const response = Buffer.from(encode({ id: 1, type: 'response', questions: [{ name: 'db', type: 'A' }] }))
    const garbage = [Buffer.from([1, 2, 3]), header, Buffer.from(query('db.meshd').subarray(0, 20)), loop, response, Buffer.alloc(0)]
    const before = server.stats().malformed
    expect(await udpAsk(target, garbage, { from: CLIENT, waitMs: 300 })).toEqual([])
    expect(server.stats().malformed - before).toBe(garbage.length)
    expect((await udpQuery(target, query('db'), CLIENT)).answers).toHaveLength(1)
  })

  it('answers FORMERR to a query without exactly one question and NOTIMP to another opcode', async () => {
    const none = Buffer.from(encode({ id: 9, type: 'query', questions: [] }))
    expect(rcodeOf(await udpQuery(target, none, CLIENT))).toBe('FORMERR')
    const two = Buffer.from(encode({ id: 9, type: 'query', questions: [{ name: 'db', type: 'A' }, { name: 'web', type: 'A' }] }))
    expect(rcodeOf(await udpQuery(target, two, CLIENT))).toBe('FORMERR')
    const update = query('db')
    update.writeUInt16BE(5 << 11, 2) // opcode UPDATE
    const answer = await udpQuery(target, update, CLIENT)
    expect(rcodeOf(answer)).toBe('NOTIMP')
    expect(answer.flags! & AUTHORITATIVE_ANSWER).toBe(0)
  })
})

describe('DnsServer over TCP', () => {
  it('answers several queries on one connection', async () => {
    const responses = (await tcpAsk(target, [query('db', 'A', { id: 1 }), query('db-0', 'A', { id: 2 }), query('nope.meshd', 'A', { id: 3 })])).map((r) => decode(r))
    const byId = new Map(responses.map((r) => [r.id, r]))
    expect(byId.get(1)!.answers).toMatchObject([{ data: '10.213.0.2' }])
    expect(byId.get(2)!.answers).toMatchObject([{ data: '10.213.1.7' }])
    expect(rcodeOf(byId.get(3)!)).toBe('NXDOMAIN')
  })

  it('answers in full what UDP truncates', async () => {
    const response = await tcpQuery(target, query('big.meshd'))
    expect(response.flag_tc).toBe(false)
    expect(response.answers).toHaveLength(40)
  })

  it('takes a query split across writes, and closes a connection that sends a malformed message', async () => {
    const framed = Buffer.concat([Buffer.from([0, query('web').length]), query('web')])
    const split = await tcpAsk(target, [framed.subarray(0, 1), framed.subarray(1, 9), framed.subarray(9)], 1, true)
    expect(decode(split[0]!).answers).toMatchObject([{ data: '10.213.0.3' }])
    const closed = await tcpAsk(target, [Buffer.from([0, 3, 1, 2, 3])], 1, true)
    expect(closed).toEqual([])
  })
})

describe('DnsServer lifecycle and stats', () => {
  it('starts and stops idempotently, and listens again after a stop', async () => {
    const own = dnsServer({ host: '127.0.0.162', port: 0, table: () => table, upstreams: [], log: silent })
    await own.start()
    await own.start()
    const first = own.address()!
    expect((await udpQuery(first, query('db'), CLIENT)).answers).toHaveLength(1)
    await own.stop()
    await own.stop()
    expect(own.address()).toBeUndefined()
    expect(await udpAsk(first, [query('db')], { from: CLIENT, waitMs: 200 })).toEqual([])
    await own.start()
    expect((await tcpQuery(own.address()!, query('db'))).answers).toHaveLength(1)
    await own.stop()
  })

  it('rejects start when the port is taken, listening on nothing', async () => {
    const taken = dnsServer({ host: HOST, port: target.port, table: () => table, upstreams: [], log: silent })
    await expect(taken.start()).rejects.toThrow(/EADDRINUSE/)
    expect(taken.address()).toBeUndefined()
  })

  it('answers SERVFAIL when the table cannot be built, and logs it', async () => {
    const log = recordingLogger()
    const broken = dnsServer({ host: '127.0.0.162', port: 0, table: () => { throw new Error('no view') }, upstreams: [], log })
    await broken.start()
    expect(rcodeOf(await udpQuery(broken.address()!, query('db'), CLIENT))).toBe('SERVFAIL')
    expect(log.errors).toHaveLength(1)
    await broken.stop()
  })

  it('counts queries, local answers, NXDOMAIN, errors and truncations', async () => {
    const own = dnsServer({ host: '127.0.0.162', port: 0, table: () => table, upstreams: [], log: silent })
    await own.start()
    const at = own.address()!
    await udpQuery(at, query('db'), CLIENT)
    await udpQuery(at, query('nope.meshd'), CLIENT)
    await udpQuery(at, query('example.com'), CLIENT)
    await udpQuery(at, query('big.meshd'), CLIENT)
    await tcpQuery(at, query('db-0'))
    await udpAsk(at, [Buffer.from([1, 2, 3])], { from: CLIENT, waitMs: 100 })
    expect(own.stats()).toEqual({
      queries: 6, local: 4, forwarded: 1, nxdomain: 1, errors: 1, malformed: 1, limited: 0, truncated: 1, pendingForwards: 0, tcpConnections: 0, upstreams: []
    })
    await own.stop()
  })
})
