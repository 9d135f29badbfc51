// The PROXY protocol v2 header encoder.

import { describe, expect, it } from 'vitest'
import { proxyHeader } from '../../src/proxy/proxy-protocol.ts'

const SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex')

describe('proxyHeader', () => {
  it('encodes TCP over IPv4, unmapping ::ffff: addresses', () => {
    const h = proxyHeader('::ffff:10.1.2.3', 40000, '10.0.0.5', 8080)
    expect(h.length).toBe(28)
    expect(h.subarray(0, 12)).toEqual(SIGNATURE)
    expect(h.toString('hex', 12)).toBe('2111000c' + '0a010203' + '0a000005' + '9c40' + '1f90')
  })

  it('encodes TCP over IPv6', () => {
    const h = proxyHeader('fd00::1', 1, '::1', 2)
    expect(h.length).toBe(52)
    expect(h.toString('hex', 12, 16)).toBe('21210024')
    expect(h.toString('hex', 16, 32)).toBe('fd000000000000000000000000000001')
    expect(h.toString('hex', 32, 48)).toBe('00000000000000000000000000000001')
    expect(h.readUInt16BE(48)).toBe(1)
    expect(h.readUInt16BE(50)).toBe(2)
  })

  it('falls back to LOCAL when the addresses are unknown', () => {
    const h = proxyHeader(undefined, undefined, undefined, undefined)
    expect(h.toString('hex', 12)).toBe('20000000')
  })
})
