// A node with another cluster secret cannot connect, says why, and leaks nothing.

import { afterEach, describe, expect, it } from 'vitest'
import { generateSecret } from '../../src/gossip/index.ts'
import { TestCluster, serviceRecord, sleep, waitFor } from './helpers.ts'
import type { TestNode } from './helpers.ts'

const BASE_PORT = 46_120

function warnings (node: TestNode): string[] {
  return node.log.entries.filter(entry => entry.level === 'warn').map(entry => entry.msg ?? '')
}

describe('cluster secret on the wire', () => {
  const cluster = new TestCluster()
  const outsiders = new TestCluster()
  afterEach(async () => { await Promise.all([cluster.stopAll(), outsiders.stopAll()]) })

  it('refuses a node with the wrong secret on both sides, without crashing or leaking state', async () => {
    const n1 = await cluster.add({ name: 'n1', host: '127.0.0.61', port: BASE_PORT })
    const n2 = await cluster.add({ name: 'n2', host: '127.0.0.62', port: BASE_PORT, join: [`127.0.0.61:${BASE_PORT}`] })
    await waitFor('n1 and n2 connected', () => n1.gossip.connections() === 1)

    const intruder = await outsiders.add({ name: 'intruder', host: '127.0.0.63', port: BASE_PORT, psk: generateSecret(), join: [`127.0.0.61:${BASE_PORT}`] })
    intruder.document.putService('evil', serviceRecord('evil'))
    await waitFor('a warning on the intruder', () => warnings(intruder).some(msg => msg.includes('wrong cluster secret?')))
    await waitFor('a warning on the node it dialled', () => warnings(n1).some(msg => msg.includes('wrong cluster secret?')))

    // Several redial attempts' worth of time.
    await sleep(1500)
    expect(intruder.gossip.connections()).toBe(0)
    expect(n1.gossip.connections()).toBe(1)
    expect(n1.document.service('evil')).toBeUndefined()
    expect(n2.document.service('evil')).toBeUndefined()
    expect(Object.keys(n1.document.nodes())).not.toContain(intruder.gossip.id)
    expect(n1.gossip.memberState(intruder.gossip.id)).toBe('dead')

    const n1Warning = warnings(n1).find(msg => msg.includes('wrong cluster secret?')) ?? ''
    expect(n1Warning).toMatch(/^connection from \/ip4\/127\.0\.0\.63\/tcp\/\d+ refused/)
    const intruderWarning = warnings(intruder).find(msg => msg.includes('wrong cluster secret?')) ?? ''
    expect(intruderWarning).toContain(`connection to /ip4/127.0.0.61/tcp/${BASE_PORT} refused`)
    expect(n1.log.entries.filter(entry => entry.level === 'error')).toEqual([])
  })
})
