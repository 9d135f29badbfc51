// The replica DNS of a node: a gateway it cannot bind (a node in another network
// namespace than its bridge, a bridge not up yet) is an error in the log and a retry,
// never a failed start.

import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import type { NameTable } from '../../../src/node/dns/index.ts'
import { ReplicaNames } from '../../../src/node/network/names.ts'
import type { NamesInit } from '../../../src/node/network/names.ts'
import { recordingLogger } from '../../support/logger.ts'

function init (gateway: string, log = recordingLogger()): NamesInit {
  const document = new EventEmitter()
  return {
    document: document as unknown as NamesInit['document'],
    view: () => ({ services: {} }) as unknown as ReturnType<NamesInit['view']>,
    network: { network: () => ({ gateway }), serviceAddresses: () => new Map() } as unknown as NamesInit['network'],
    log,
    upstreams: [],
    port: 0
  }
}

describe('ReplicaNames', () => {
  it('starts without names when the gateway cannot be bound, and says why once', async () => {
    const log = recordingLogger()
    // TEST-NET-1: never an address of this machine, so binding it fails; nothing is sent.
    const names = new ReplicaNames(init('192.0.2.1', log))
    await names.start()
    expect(log.errors).toHaveLength(1)
    expect(JSON.stringify(log.errors[0])).toContain('192.0.2.1')
    await names.stop()
  })

  it('answers on a gateway it can bind', async () => {
    const log = recordingLogger()
    const names = new ReplicaNames(init('127.0.0.1', log))
    await names.start()
    expect(log.errors).toHaveLength(0)
    expect(log.entries.some((e) => e.msg === 'answering DNS for this node\'s replicas')).toBe(true)
    await names.stop()
  })

  it('builds its table with each service\'s stack, so a stack\'s replicas find SHORT.STACK.meshd', () => {
    const base = init('192.0.2.1')
    const spec = (name: string, stack?: string) => ({ spec: { name, ...(stack === undefined ? {} : { stack }) } })
    const names = new ReplicaNames({
      ...base,
      view: () => ({ services: { 'shop-db': spec('shop-db', 'shop'), web: spec('web') } }) as unknown as ReturnType<NamesInit['view']>,
      network: {
        network: () => undefined,
        serviceAddresses: () => new Map([['shop-db', { address: '10.0.0.2', slots: new Map([[0, '10.0.1.1']]) }], ['web', { address: '10.0.0.3', slots: new Map() }]])
      } as unknown as NamesInit['network']
    })
    // The table is built on the first query; no server is needed to ask for it.
    const table = (names as unknown as { current: () => NameTable }).current()
    expect(table.records.get('db.shop.meshd')).toEqual(['10.0.0.2'])
    expect(table.records.get('db-0.shop.meshd')).toEqual(['10.0.1.1'])
    expect(table.records.get('web.meshd')).toEqual(['10.0.0.3'])
    expect(table.records.has('web.shop.meshd')).toBe(false)
  })
})
