// A real partition between loopback addresses (iptables DROP, so root only):
// {n1} | {n2, n3}, writes on both sides, then heal. Both sides must see the other
// dead, and after healing the documents must be identical with nothing lost.

import { execFileSync } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { TestCluster, converged, serviceRecord, sleep, waitFor } from '../../gossip/helpers.ts'

const BASE_PORT = 46_140
const installed: string[][] = []

function canPartition (): boolean {
  try {
    execFileSync('iptables', ['-S', 'INPUT'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

function partition (a: string, b: string): void {
  for (const [source, destination] of [[a, b], [b, a]] as const) {
    const rule = ['INPUT', '-s', source, '-d', destination, '-j', 'DROP']
    execFileSync('iptables', ['-I', ...rule])
    installed.push(rule)
  }
}

function heal (): void {
  for (const rule of installed.splice(0)) {
    try {
      execFileSync('iptables', ['-D', ...rule], { stdio: 'ignore' })
    } catch {
      // Already gone.
    }
  }
}

describe.skipIf(!canPartition())('gossip across a partition', () => {
  const cluster = new TestCluster()
  afterEach(async () => {
    heal()
    await cluster.stopAll()
  })

  it('sees the other side dead, keeps writing on both, and converges after the heal', async () => {
    const join = [`127.0.0.61:${BASE_PORT}`]
    const n1 = await cluster.add({ name: 'n1', host: '127.0.0.61', port: BASE_PORT })
    const n2 = await cluster.add({ name: 'n2', host: '127.0.0.62', port: BASE_PORT, join })
    const n3 = await cluster.add({ name: 'n3', host: '127.0.0.63', port: BASE_PORT, join })
    const nodes = [n1, n2, n3]
    const ids = nodes.map(node => node.gossip.id)
    await waitFor('a full, all-alive mesh', () => nodes.every(node => node.gossip.connections() === 2 && ids.every(id => node.gossip.memberState(id) === 'alive')))

    partition('127.0.0.61', '127.0.0.62')
    partition('127.0.0.61', '127.0.0.63')
    const written: string[] = []
    for (let i = 0; i < 30; i++) {
      const [writer, name] = i % 2 === 0 ? [n1, `left-${i}`] : [i % 4 === 1 ? n2 : n3, `right-${i}`]
      writer.document.putService(name, serviceRecord(name))
      written.push(name)
      await sleep(100)
    }
    await waitFor('each side sees the other dead', () =>
      n1.gossip.memberState(n2.gossip.id) === 'dead' && n1.gossip.memberState(n3.gossip.id) === 'dead' &&
      n2.gossip.memberState(n1.gossip.id) === 'dead' && n3.gossip.memberState(n1.gossip.id) === 'dead')
    expect(n2.gossip.memberState(n3.gossip.id)).toBe('alive')

    heal()
    const ms = await waitFor('identical documents after the heal', () => converged(nodes), 30_000)
    const aliveMs = await waitFor('all alive again', () => nodes.every(node => ids.every(id => node.gossip.memberState(id) === 'alive')), 30_000)
    console.log(`healed → identical documents in ${ms} ms, all alive in ${aliveMs} ms`)
    expect(Object.keys(n1.document.services()).sort()).toEqual(written.sort())
  })
})
