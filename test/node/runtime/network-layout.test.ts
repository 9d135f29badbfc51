// The addresses of a node's replica network, as plain data: no engine involved.

import { describe, expect, it } from 'vitest'
import {
  bridgeName, formatIpv4, parseCidr, parseIpv4, poolSubnets, replicaNetworkName, subnetLayout, subnetProblem, subnetsOverlap
} from '../../../src/node/runtime/network-layout.ts'

describe('addresses', () => {
  it('reads and writes dotted-decimal IPv4 addresses and CIDRs', () => {
    expect(parseIpv4('10.211.16.1')).toBe(10 * 2 ** 24 + 211 * 2 ** 16 + 16 * 256 + 1)
    expect(parseIpv4('255.255.255.255')).toBe(2 ** 32 - 1)
    expect(formatIpv4(2 ** 32 - 1)).toBe('255.255.255.255')
    expect(formatIpv4(parseIpv4('10.208.0.0') ?? 0)).toBe('10.208.0.0')
    for (const bad of ['10.0.0', '10.0.0.256', '10.0.0.01', '10.0.0.-1', 'a.b.c.d', '10.0.0.0.0', '', '::1']) expect(parseIpv4(bad)).toBeUndefined()
    expect(parseCidr('10.211.16.0/20')).toEqual({ base: parseIpv4('10.211.16.0'), prefix: 20 })
    for (const bad of ['10.211.16.0', '10.211.16.0/33', '10.211.16.0/020', '10.211.16.0/20/1', '10.211.16.0/']) expect(parseCidr(bad)).toBeUndefined()
  })

  it('tells overlapping subnets apart from disjoint ones', () => {
    expect(subnetsOverlap('10.208.0.0/20', '10.208.15.0/24')).toBe(true)
    expect(subnetsOverlap('10.208.0.0/12', '10.223.240.0/20')).toBe(true)
    expect(subnetsOverlap('10.208.0.0/20', '10.208.16.0/20')).toBe(false)
    expect(subnetsOverlap('172.17.0.0/16', '10.208.0.0/12')).toBe(false)
    expect(subnetsOverlap('0.0.0.0/0', '10.1.0.0/16')).toBe(true)
    // An IPv6 network (Docker lists them among the others) overlaps none of ours.
    expect(subnetsOverlap('fd00::/64', '10.208.0.0/20')).toBe(false)
  })
})

describe('subnetLayout', () => {
  it('gives containers the first /22, the node the rest, and the bridge the first address', () => {
    expect(subnetLayout('10.211.16.0/20')).toEqual({
      subnet: '10.211.16.0/20',
      ipRange: '10.211.16.0/22',
      gateway: '10.211.16.1',
      serviceRange: { first: '10.211.20.0', last: '10.211.31.254' }
    })
  })

  it('keeps a larger subnet\'s rest for services too', () => {
    expect(subnetLayout('10.40.0.0/16')).toMatchObject({ ipRange: '10.40.0.0/22', gateway: '10.40.0.1', serviceRange: { first: '10.40.4.0', last: '10.40.255.254' } })
    expect(subnetLayout('192.168.8.0/21').serviceRange).toEqual({ first: '192.168.12.0', last: '192.168.15.254' })
  })
})

describe('subnetProblem', () => {
  it('accepts IPv4 subnets from a /16 to a /21', () => {
    for (const good of ['10.211.16.0/20', '10.40.0.0/16', '192.168.8.0/21', '172.30.0.0/18']) expect(subnetProblem(good)).toBeUndefined()
  })

  it('names what is wrong with any other', () => {
    expect(subnetProblem('10.211.16.0')).toMatch(/"10\.211\.16\.0" is not an IPv4 subnet in CIDR notation/)
    expect(subnetProblem('fd00::/64')).toMatch(/not an IPv4 subnet/)
    expect(subnetProblem('10.211.17.0/20')).toBe('10.211.17.0/20 has host bits set (the subnet is 10.211.16.0/20)')
    expect(subnetProblem('10.211.16.0/22')).toMatch(/^10\.211\.16\.0\/22 is too small: a replica network needs at least a \/21 /)
    expect(subnetProblem('10.211.16.0/24')).toMatch(/too small/)
    expect(subnetProblem('10.0.0.0/8')).toBe('10.0.0.0/8 is too large: a replica network is at most a /16')
    expect(subnetProblem('127.0.0.0/16')).toBe('127.0.0.0/16 overlaps 127.0.0.0/8, which no bridge can use')
    expect(subnetProblem('169.254.0.0/20')).toMatch(/overlaps 169\.254\.0\.0\/16/)
    expect(subnetProblem('239.1.0.0/20')).toMatch(/overlaps 224\.0\.0\.0\/3/)
  })
})

describe('poolSubnets', () => {
  it('lists every /20 of 10.208.0.0/12 once, from a slot hashed from the node name, wrapping around', () => {
    const subnets = poolSubnets('node-a')
    expect(subnets).toHaveLength(256)
    expect(new Set(subnets).size).toBe(256)
    for (const subnet of subnets) {
      expect(subnet).toMatch(/^10\.(20[89]|21\d|22[0-3])\.\d+\.0\/20$/)
      expect(subnetProblem(subnet)).toBeUndefined()
      expect(subnetsOverlap(subnet, '10.208.0.0/12')).toBe(true)
    }
    // Each the next /20 (4096 addresses further), wrapping from 10.223.240.0 to 10.208.0.0.
    const offsets = subnets.map(subnet => (parseCidr(subnet)?.base ?? 0) - (parseIpv4('10.208.0.0') ?? 0))
    for (let i = 1; i < offsets.length; i++) expect(((offsets[i] ?? 0) - (offsets[i - 1] ?? 0) + 2 ** 20) % 2 ** 20).toBe(4096)
  })

  it('starts the same node at the same slot every time, and different nodes mostly elsewhere', () => {
    expect(poolSubnets('node-a')).toEqual(poolSubnets('node-a'))
    const firsts = new Set(Array.from({ length: 32 }, (_, i) => poolSubnets(`node-${i}`)[0]))
    // 32 names over 256 slots: a few may share a slot (the next one is tried then), most do not.
    expect(firsts.size).toBeGreaterThan(24)
  })

  it('cuts any pool into subnets of any size', () => {
    expect(poolSubnets('x', '10.0.0.0/23', 24).sort()).toEqual(['10.0.0.0/24', '10.0.1.0/24'])
    expect(() => poolSubnets('x', '10.0.0.0/24', 20)).toThrow(/cannot cut/)
  })
})

describe('names', () => {
  it('names the network after the node, made safe as container names are', () => {
    expect(replicaNetworkName('rt-test')).toBe('meshd-rt-test')
    expect(replicaNetworkName('node 1/x')).toBe('meshd-node-1-x')
  })

  it('names the bridge "msh" and 8 hex digits: within Linux\'s 15 characters for any node name', () => {
    expect(bridgeName('rt-test')).toMatch(/^msh[0-9a-f]{8}$/)
    expect(bridgeName('a very long node name that no interface could carry'.repeat(4))).toHaveLength(11)
    expect(bridgeName('rt-test')).toBe(bridgeName('rt-test'))
    expect(bridgeName('rt-test')).not.toBe(bridgeName('rt-test-2'))
  })
})
