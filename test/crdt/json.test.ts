import { describe, it, expect } from 'vitest'
import { clonePlain, plainEqual, toPlain } from '../../src/crdt/json.ts'

describe('plain JSON values', () => {
  it('normalises a record the way JSON carries it', () => {
    expect(toPlain({ a: 1, b: undefined, c: [1, undefined], d: { e: NaN } })).toEqual({ a: 1, c: [1, null], d: { e: null } })
  })

  it('accepts only objects as records', () => {
    for (const value of [null, [1], 'x', 3]) expect(() => toPlain(value as object)).toThrow(TypeError)
  })

  it('clones deeply, keeping a "__proto__" key as a key', () => {
    const source = JSON.parse('{"labels": {"__proto__": "x"}, "list": [{"a": 1}]}') as { labels: object, list: Array<{ a: number }> }
    const copy = clonePlain(source)
    expect(copy).toEqual(source)
    expect(copy.list[0]).not.toBe(source.list[0])
    expect(Object.hasOwn(copy.labels, '__proto__')).toBe(true)
    expect(Object.getPrototypeOf(copy.labels)).toBe(Object.prototype)
  })

  it('compares deeply, ignoring object key order but not array order', () => {
    expect(plainEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true)
    expect(plainEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false)
    expect(plainEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false)
    expect(plainEqual({ a: 1, b: 2 }, { a: 1, c: 2 })).toBe(false)
    expect(plainEqual([], {})).toBe(false)
    expect(plainEqual(null, {})).toBe(false)
    expect(plainEqual(undefined, { a: 1 })).toBe(false)
  })
})
