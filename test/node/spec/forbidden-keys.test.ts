import { describe, expect, it } from 'vitest'
import { findForbiddenKey } from '../../../src/node/spec/forbidden-keys.ts'

describe('findForbiddenKey', () => {
  it.each([null, 3, 'x', [], {}, { env: { A: '1' }, ports: [{ published: 1 }] }, { proto: 1, __proto: 2, Constructor: 3 }])(
    'finds nothing in %j', (input) => {
      expect(findForbiddenKey(input)).toBeUndefined()
    }
  )

  it('finds own keys made by JSON.parse, in arrays too', () => {
    expect(findForbiddenKey(JSON.parse('{"__proto__":{}}'))).toEqual(['__proto__'])
    expect(findForbiddenKey(JSON.parse('{"a":[1,{"b":{"constructor":1}}]}'))).toEqual(['a', 1, 'b', 'constructor'])
    expect(findForbiddenKey({ a: { prototype: 1 } })).toEqual(['a', 'prototype'])
  })

  it('reports the shallowest one', () => {
    expect(findForbiddenKey(JSON.parse('{"a":{"b":{"__proto__":1}},"c":{"constructor":1}}'))).toEqual(['c', 'constructor'])
  })

  it('survives cycles and deep nesting', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    expect(findForbiddenKey(cyclic)).toBeUndefined()
    let deep: unknown = JSON.parse('{"__proto__":1}')
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(findForbiddenKey(deep)).toHaveLength(100_001)
  })
})
