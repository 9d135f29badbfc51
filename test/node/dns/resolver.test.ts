import type { Question, SoaAnswer } from 'dns-packet'
import { describe, expect, it } from 'vitest'
import { ANSWER_TTL_S, NEGATIVE_TTL_S } from '../../../src/node/dns/constants.ts'
import { resolve } from '../../../src/node/dns/resolver.ts'
import type { Resolution } from '../../../src/node/dns/resolver.ts'
import { nameTable } from '../../../src/node/dns/table.ts'
import type { NameTable } from '../../../src/node/dns/table.ts'

const table = nameTable([
  { service: 'db', address: '10.213.0.2', slots: [{ slot: 0, address: '10.213.1.7' }, { slot: 1, address: '10.213.1.8' }] },
  { service: 'web', address: '10.213.0.3', slots: [] }
])

const ask = (name: string, type = 'A', klass = 'IN'): Resolution =>
  resolve({ name, type, class: klass } as Question, table)

function local (resolution: Resolution): Extract<Resolution, { forward: false }> {
  if (resolution.forward) throw new Error('expected a local answer, got forward')
  return resolution
}

const addresses = (resolution: Resolution): string[] => local(resolution).answers.map((a) => (a as { data: string }).data)

describe('resolve', () => {
  it('answers SERVICE and SERVICE.meshd with the service address', () => {
    expect(addresses(ask('db'))).toEqual(['10.213.0.2'])
    expect(addresses(ask('db.meshd'))).toEqual(['10.213.0.2'])
    expect(addresses(ask('web.meshd'))).toEqual(['10.213.0.3'])
  })

  it('answers SERVICE-SLOT and SERVICE-SLOT.meshd with that slot\'s address', () => {
    expect(addresses(ask('db-0'))).toEqual(['10.213.1.7'])
    expect(addresses(ask('db-1.meshd'))).toEqual(['10.213.1.8'])
  })

  it('ignores case and a trailing dot, and answers with the name as asked', () => {
    const answer = local(ask('Db-0.MeshD.'))
    expect(addresses(answer)).toEqual(['10.213.1.7'])
    expect(answer.answers[0]).toMatchObject({ name: 'Db-0.MeshD.', type: 'A', class: 'IN' })
    expect(addresses(ask('DB.'))).toEqual(['10.213.0.2'])
  })

  it('gives A answers the answer TTL, at most 5 s, with no authority section', () => {
    const answer = local(ask('db.meshd'))
    expect(answer).toMatchObject({ rcode: 'NOERROR', authorities: [] })
    expect(answer.answers[0]!).toMatchObject({ ttl: ANSWER_TTL_S })
    expect(ANSWER_TTL_S).toBeLessThanOrEqual(5)
    const shorter = local(resolve({ name: 'db', type: 'A' }, table, { ttl: 1 }))
    expect(shorter.answers[0]).toMatchObject({ ttl: 1 })
    const capped = local(resolve({ name: 'db', type: 'A' }, table, { ttl: 3600 }))
    expect(capped.answers[0]).toMatchObject({ ttl: ANSWER_TTL_S })
  })

  it('answers unknown names under meshd NXDOMAIN with the zone\'s SOA and a small negative TTL', () => {
    for (const name of ['nope.meshd', 'db-7.meshd', 'x.db.meshd', 'NOPE.MESHD.']) {
      const answer = local(ask(name))
      expect(answer.rcode, name).toBe('NXDOMAIN')
      expect(answer.answers).toEqual([])
      const soa = answer.authorities[0] as SoaAnswer
      expect(soa).toMatchObject({ name: 'meshd', type: 'SOA', ttl: NEGATIVE_TTL_S })
      expect(soa.data.minimum).toBe(NEGATIVE_TTL_S)
    }
    expect(NEGATIVE_TTL_S).toBeLessThanOrEqual(5)
  })

  it('answers AAAA for a known name NODATA: NOERROR, no answers, the SOA — not NXDOMAIN', () => {
    for (const name of ['db', 'db.meshd', 'db-0', 'db-1.meshd']) {
      const answer = local(ask(name, 'AAAA'))
      expect(answer.rcode, name).toBe('NOERROR')
      expect(answer.answers).toEqual([])
      expect(answer.authorities[0]).toMatchObject({ type: 'SOA' })
    }
  })

  it('answers other types for known meshd names NODATA, and AAAA for unknown ones NXDOMAIN', () => {
    for (const type of ['TXT', 'MX', 'SRV', 'CNAME', 'PTR', 'NS']) {
      expect(local(ask('db.meshd', type)), type).toMatchObject({ rcode: 'NOERROR', answers: [] })
    }
    expect(local(ask('nope.meshd', 'AAAA')).rcode).toBe('NXDOMAIN')
  })

  it('answers ANY with the A records, and another class NODATA', () => {
    expect(addresses(ask('db.meshd', 'ANY'))).toEqual(['10.213.0.2'])
    expect(local(ask('db.meshd', 'A', 'CH'))).toMatchObject({ rcode: 'NOERROR', answers: [] })
  })

  it('answers the zone apex: NODATA for A, its SOA for SOA', () => {
    expect(local(ask('meshd'))).toMatchObject({ rcode: 'NOERROR', answers: [] })
    expect(local(ask('meshd.', 'SOA')).answers[0]).toMatchObject({ type: 'SOA', name: 'meshd' })
  })

  it('forwards names outside meshd and single labels the table does not know', () => {
    for (const name of ['example.com', 'example.com.', 'db.example.com', 'localhost', 'nope', 'meshd.example.com', 'db.meshdx', '', '.']) {
      expect(ask(name), JSON.stringify(name)).toEqual({ forward: true })
    }
    expect(ask('example.com', 'AAAA')).toEqual({ forward: true })
  })

  it('answers a name in the zone that only has names below it NODATA, not NXDOMAIN', () => {
    // A stack's names later: db.shop.meshd makes shop.meshd exist.
    const stacked: NameTable = {
      records: new Map([['db.shop.meshd', ['10.213.0.9']], ['shop.meshd', []], ['meshd', []]]),
      search: ['shop.meshd', 'meshd']
    }
    expect(local(resolve({ name: 'shop.meshd', type: 'A' }, stacked))).toMatchObject({ rcode: 'NOERROR', answers: [] })
    expect(addresses(resolve({ name: 'db.shop.meshd', type: 'A' }, stacked))).toEqual(['10.213.0.9'])
    expect(addresses(resolve({ name: 'db', type: 'A' }, stacked))).toEqual(['10.213.0.9'])
  })

  it('tries the search suffixes in order for a single label', () => {
    const both: NameTable = {
      records: new Map([['db.shop.meshd', ['10.213.0.9']], ['db.meshd', ['10.213.0.2']], ['shop.meshd', []], ['meshd', []]]),
      search: ['shop.meshd', 'meshd']
    }
    expect(addresses(resolve({ name: 'db', type: 'A' }, both))).toEqual(['10.213.0.9'])
    expect(addresses(resolve({ name: 'db', type: 'A' }, { ...both, search: ['meshd'] }))).toEqual(['10.213.0.2'])
  })

  it('answers every address of a name with several', () => {
    const many: NameTable = { records: new Map([['db.meshd', ['10.0.0.1', '10.0.0.2']], ['meshd', []]]), search: ['meshd'] }
    expect(addresses(resolve({ name: 'db', type: 'A' }, many))).toEqual(['10.0.0.1', '10.0.0.2'])
  })
})
