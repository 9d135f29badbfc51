// The service addresses on the bridge: `ip` runs only when the wanted addresses change
// (each run forks the daemon), and reads the kernel again after a failure.

import { describe, expect, it } from 'vitest'
import { BridgeAddresses } from '../../../src/node/network/addresses.ts'
import { silent } from '../../support/logger.ts'

/** A fake `ip` over a set of addresses, recording each call. */
function fakeIp (carried: Set<string>, failAdd = false): { calls: string[], run: (command: string, args: string[]) => Promise<{ stdout: string }> } {
  const calls: string[] = []
  return {
    calls,
    run: async (_command, args) => {
      calls.push(args.includes('show') ? 'addr show' : `addr ${args[2]}`)
      if (args.includes('show')) return { stdout: [...carried].map((a) => `9: br    inet ${a}/32 scope global br\n`).join('') }
      const address = args[3]!.replace('/32', '')
      if (args[2] === 'add') {
        if (failAdd) throw Object.assign(new Error('failed'), { stderr: 'RTNETLINK answers: Operation not permitted' })
        carried.add(address)
      } else carried.delete(address)
      return { stdout: '' }
    }
  }
}

const inRange = (address: string): boolean => address.startsWith('10.1.')

describe('BridgeAddresses', () => {
  it('reads the bridge once, then runs ip only when the addresses change', async () => {
    const carried = new Set(['10.1.0.9'])
    const ip = fakeIp(carried)
    const bridge = new BridgeAddresses('br', inRange, silent, ip.run)
    await bridge.sync(['10.1.0.2', '10.1.0.3'])
    expect(ip.calls).toEqual(['addr show', 'addr add', 'addr add', 'addr del'])
    expect([...carried].sort()).toEqual(['10.1.0.2', '10.1.0.3'])
    ip.calls.length = 0
    await bridge.sync(['10.1.0.3', '10.1.0.2', '192.168.0.1'])
    expect(ip.calls).toEqual([])
    await bridge.sync(['10.1.0.2'])
    expect(ip.calls).toEqual(['addr show', 'addr del'])
  })

  it('reads the bridge again after a failed change', async () => {
    const ip = fakeIp(new Set(), true)
    const bridge = new BridgeAddresses('br', inRange, silent, ip.run)
    await expect(bridge.sync(['10.1.0.2'])).rejects.toThrow(/Operation not permitted/)
    await expect(bridge.sync(['10.1.0.2'])).rejects.toThrow(/Operation not permitted/)
    expect(ip.calls.filter((c) => c === 'addr show')).toHaveLength(2)
  })
})
