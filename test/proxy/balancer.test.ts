// Power of two choices over endpoints with load and down marks.

import { describe, expect, it } from 'vitest'
import { pick } from '../../src/proxy/balancer.ts'
import { Endpoint } from '../../src/proxy/endpoint.ts'

function endpoints (n: number): Endpoint[] {
  return Array.from({ length: n }, (_, i) => new Endpoint(`127.0.0.1:${19500 + i}`))
}

describe('pick', () => {
  it('returns undefined with no endpoints and the only one with one', () => {
    expect(pick([], 0)).toBeUndefined()
    const [only] = endpoints(1)
    expect(pick([only!], 0)).toBe(only)
  })

  it('never picks the most loaded of two', () => {
    const [a, b] = endpoints(2) as [Endpoint, Endpoint]
    a.active = 5
    for (let i = 0; i < 50; i++) expect(pick([a, b], 0)).toBe(b)
  })

  it('avoids endpoints marked down while any is up', () => {
    const eps = endpoints(5)
    for (const e of eps.slice(0, 4)) e.downUntil = 1000
    for (let i = 0; i < 50; i++) expect(pick(eps, 500)).toBe(eps[4])
    expect(eps.map(e => pick(eps, 1000) !== undefined)).not.toContain(false)
  })

  it('parses host:port, bracketed IPv6 included', () => {
    const e = new Endpoint('[::1]:8080')
    expect([e.host, e.port, e.valid()]).toEqual(['::1', 8080, true])
    expect(new Endpoint('nohost').valid()).toBe(false)
  })
})
