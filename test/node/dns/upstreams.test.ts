import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { forwardable, hostUpstreams, isLoopback, parseResolvConf } from '../../../src/node/dns/upstreams.ts'

describe('upstreams from resolv.conf', () => {
  it('reads the nameservers in order, skipping comments, options and junk', () => {
    const text = [
      '# generated', 'search example.internal', 'nameserver 10.0.0.2', '  nameserver\t1.1.1.1  ', ';nameserver 9.9.9.9',
      'nameserver fe80::1%eth0', 'nameserver not-an-address', 'options ndots:5 edns0', 'nameserver'
    ].join('\n')
    expect(parseResolvConf(text)).toEqual(['10.0.0.2', '1.1.1.1', 'fe80::1'])
  })

  it('leaves out loopback resolvers (stubs that would loop) and the server\'s own address', () => {
    expect(['127.0.0.53', '127.0.0.11', '::1', '0.0.0.0', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true)
    expect(['10.0.0.2', '1.1.1.1', 'fe80::1'].some(isLoopback)).toBe(false)
    const text = 'nameserver 127.0.0.53\nnameserver 10.213.0.1\nnameserver 10.0.0.2\n'
    expect(forwardable(text, ['10.213.0.1'])).toEqual([{ host: '10.0.0.2', port: 53 }])
  })

  it('falls back to systemd-resolved\'s list when resolv.conf names only its stub, and to none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshd-dns-'))
    try {
      const resolvConf = join(dir, 'resolv.conf')
      const fallback = join(dir, 'systemd-resolv.conf')
      writeFileSync(resolvConf, 'nameserver 127.0.0.53\noptions edns0 trust-ad\n')
      writeFileSync(fallback, 'nameserver 192.168.1.1\nnameserver 2001:db8::53\n')
      expect(await hostUpstreams([], { resolvConf, fallback })).toEqual([{ host: '192.168.1.1', port: 53 }, { host: '2001:db8::53', port: 53 }])
      writeFileSync(resolvConf, 'nameserver 10.0.0.2\n')
      expect(await hostUpstreams([], { resolvConf, fallback })).toEqual([{ host: '10.0.0.2', port: 53 }])
      expect(await hostUpstreams([], { resolvConf: join(dir, 'missing'), fallback: join(dir, 'missing too') })).toEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
