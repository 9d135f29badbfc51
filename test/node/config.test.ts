import { describe, expect, it } from 'vitest'
import { parseDaemonConfig } from '../../src/node/config.ts'

describe('the ingress ports of the daemon config', () => {
  it('defaults to 80 and 443; 0 turns one off', () => {
    expect(parseDaemonConfig({ name: 'n1' })).toMatchObject({ httpPort: 80, httpsPort: 443 })
    expect(parseDaemonConfig({ name: 'n1', httpPort: '18900', httpsPort: '0' })).toMatchObject({ httpPort: 18900, httpsPort: 0 })
  })

  it('refuses anything else, naming the flag', () => {
    expect(() => parseDaemonConfig({ name: 'n1', httpPort: '70000' })).toThrow('--http-port: expected a port between 1 and 65535')
    expect(() => parseDaemonConfig({ name: 'n1', httpsPort: 'x' })).toThrow('--https-port')
    expect(() => parseDaemonConfig({ name: 'n1', httpPort: '' })).toThrow('--http-port')
  })
})
