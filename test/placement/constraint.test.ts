import { describe, expect, it } from 'vitest'
import { matchesConstraint, parseConstraint } from '../../src/placement/index.ts'
import { member } from './helpers.ts'

describe('parseConstraint', () => {
  it('parses names, ids and labels, ignoring whitespace around the parts', () => {
    expect(parseConstraint('node.name==web-1')).toEqual({ text: 'node.name==web-1', subject: 'name', key: '', op: '==', value: 'web-1' })
    expect(parseConstraint('  node.labels.zone  !=  b ')).toEqual({ text: 'node.labels.zone!=b', subject: 'label', key: 'zone', op: '!=', value: 'b' })
    expect(parseConstraint('node.id==12D3KooWabc')).toMatchObject({ subject: 'id', value: '12D3KooWabc' })
    expect(parseConstraint('node.labels.com.example/tier==db')).toMatchObject({ subject: 'label', key: 'com.example/tier', value: 'db' })
    expect(parseConstraint('node.hostname==h1')).toMatchObject({ subject: 'name', value: 'h1' })
  })

  it('keeps spaces inside a value', () => {
    expect(parseConstraint('node.labels.desc==rack 4').value).toBe('rack 4')
  })

  it.each([
    ['', /empty constraint/],
    ['   ', /empty constraint/],
    ['node.name=web', /has no operator/],
    ['node.name', /has no operator/],
    ['node.name==', /has no value after ==/],
    ['node.labels.zone!=  ', /has no value after !=/],
    ['node.name==a==b', /more than one operator/],
    ['node.name==a!=b', /more than one operator/],
    ['node.role==manager', /unknown field "node.role"/],
    ['engine.labels.x==y', /unknown field/],
    ['node.labels.==a', /invalid label key ""/],
    ['node.labels.bad key==a', /invalid label key "bad key"/],
    ['==a', /unknown field ""/]
  ])('rejects %j', (text, message) => {
    expect(() => parseConstraint(text)).toThrow(message)
  })

  it('quotes the constraint and says what was expected', () => {
    expect(() => parseConstraint('node.zone==a')).toThrow('constraint "node.zone==a" has an unknown field "node.zone": expected node.id, node.name or node.labels.<key>, then == or !=, then a value')
  })
})

describe('matchesConstraint', () => {
  const web1 = member('id-1', { name: 'web-1', labels: { zone: 'a' } })

  it('compares names, ids and labels exactly', () => {
    expect(matchesConstraint(parseConstraint('node.name==web-1'), web1)).toBe(true)
    expect(matchesConstraint(parseConstraint('node.name==WEB-1'), web1)).toBe(false)
    expect(matchesConstraint(parseConstraint('node.name!=web-1'), web1)).toBe(false)
    expect(matchesConstraint(parseConstraint('node.id==id-1'), web1)).toBe(true)
    expect(matchesConstraint(parseConstraint('node.labels.zone==a'), web1)).toBe(true)
    expect(matchesConstraint(parseConstraint('node.labels.zone!=a'), web1)).toBe(false)
  })

  it('treats a missing label as satisfying only !=', () => {
    expect(matchesConstraint(parseConstraint('node.labels.ssd==true'), web1)).toBe(false)
    expect(matchesConstraint(parseConstraint('node.labels.ssd!=true'), web1)).toBe(true)
    expect(matchesConstraint(parseConstraint('node.labels.constructor==x'), web1)).toBe(false)
  })
})
