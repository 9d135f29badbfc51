import { describe, expect, it } from 'vitest'
import { canonicalName, isIPv4Address, nameTable } from '../../../src/node/dns/table.ts'

describe('nameTable', () => {
  it('names each service and each slot under the zone, with the zone itself', () => {
    const table = nameTable([{ service: 'db', address: '10.0.0.2', slots: [{ slot: 0, address: '10.0.1.1' }, { slot: 2, address: '10.0.1.3' }] }])
    expect(Object.fromEntries(table.records)).toEqual({
      'db.meshd': ['10.0.0.2'],
      'db-0.meshd': ['10.0.1.1'],
      'db-2.meshd': ['10.0.1.3'],
      meshd: []
    })
    expect(table.search).toEqual(['meshd'])
    expect(table.problems).toEqual([])
  })

  it('lets a service\'s own name win over a slot name that spells the same, and says so', () => {
    const table = nameTable([
      { service: 'db', address: '10.0.0.2', slots: [{ slot: 0, address: '10.0.1.1' }] },
      { service: 'db-0', address: '10.0.0.3', slots: [] }
    ])
    expect(table.records.get('db-0.meshd')).toEqual(['10.0.0.3'])
    expect(table.problems).toEqual(['db-0.meshd: slot 0 of db is shadowed by the service of that name'])
  })

  it('leaves out an address that is not IPv4, and says so', () => {
    const table = nameTable([{ service: 'db', address: 'fd00::1', slots: [{ slot: 0, address: '10.0.1.256' }] }])
    expect(table.records.has('db.meshd')).toBe(false)
    expect(table.records.has('db-0.meshd')).toBe(false)
    expect(table.problems).toHaveLength(2)
  })

  it('names a stack\'s service and its slots by their short names under the stack too', () => {
    const table = nameTable([
      { service: 'shop-db', stack: 'shop', address: '10.0.0.2', slots: [{ slot: 0, address: '10.0.1.1' }] },
      { service: 'web', address: '10.0.0.3', slots: [] }
    ])
    expect(Object.fromEntries(table.records)).toEqual({
      'shop-db.meshd': ['10.0.0.2'],
      'db.shop.meshd': ['10.0.0.2'],
      'shop-db-0.meshd': ['10.0.1.1'],
      'db-0.shop.meshd': ['10.0.1.1'],
      'web.meshd': ['10.0.0.3'],
      // The stack's own name exists without an address: NODATA, not NXDOMAIN.
      'shop.meshd': [],
      meshd: []
    })
    expect(table.search).toEqual(['meshd'])
    expect(table.problems).toEqual([])
  })

  it('lets a stack\'s service name win over a slot name that spells the same within the stack', () => {
    const table = nameTable([
      { service: 'shop-db', stack: 'shop', address: '10.0.0.2', slots: [{ slot: 0, address: '10.0.1.1' }] },
      { service: 'shop-db-0', stack: 'shop', address: '10.0.0.4', slots: [] }
    ])
    expect(table.records.get('db-0.shop.meshd')).toEqual(['10.0.0.4'])
    expect(table.problems).toEqual([
      'shop-db-0.meshd: slot 0 of shop-db is shadowed by the service of that name',
      'db-0.shop.meshd: slot 0 of shop-db is shadowed by the service of that name'
    ])
  })

  it('gives no short name to a service whose name does not start with its stack\'s', () => {
    const table = nameTable([{ service: 'db', stack: 'shop', address: '10.0.0.2', slots: [] }])
    expect([...table.records.keys()].sort()).toEqual(['db.meshd', 'meshd'])
  })

  it('keys names lowercase', () => {
    expect(nameTable([{ service: 'Web', address: '10.0.0.2', slots: [] }]).records.get('web.meshd')).toEqual(['10.0.0.2'])
  })
})

describe('canonicalName and isIPv4Address', () => {
  it('lowercases and drops one trailing dot', () => {
    expect(canonicalName('Db.MeshD.')).toBe('db.meshd')
    expect(canonicalName('.')).toBe('')
  })

  it('accepts dotted quads only', () => {
    expect(['10.0.0.1', '0.0.0.0', '255.255.255.255'].every(isIPv4Address)).toBe(true)
    expect(['256.0.0.1', '10.0.0', '01.2.3.4', '::1', '10.0.0.1 '].some(isIPv4Address)).toBe(false)
  })
})
