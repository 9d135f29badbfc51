// The replica DNS of a node: a gateway it cannot bind (a node in another network
// namespace than its bridge, a bridge not up yet) is an error in the log and a retry,
// never a failed start.

import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
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
})
