// Failure detection with real nodes: stopped and restarted in process, and a member
// in its own process that is paused (SIGSTOP) and killed (SIGKILL).

import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import { secretToToken } from '../../../src/gossip/index.ts'
import { TestCluster, sleep, waitFor } from '../../gossip/helpers.ts'
import type { ChildProcess } from 'node:child_process'
import type { TestNode } from '../../gossip/helpers.ts'

const BASE_PORT = 46_130
const FIXTURE = fileURLToPath(new URL('./fixtures/member.ts', import.meta.url))

/** Every transition each node reported, as "state id" strings. */
function recordEvents (nodes: TestNode[]): Map<TestNode, string[]> {
  const events = new Map<TestNode, string[]>()
  for (const node of nodes) {
    const seen: string[] = []
    events.set(node, seen)
    for (const state of ['alive', 'suspect', 'dead'] as const) {
      node.gossip.on(`node:${state}`, ({ id }) => { seen.push(`${state} ${id}`) })
    }
  }
  return events
}

describe('gossip membership', () => {
  const cluster = new TestCluster()
  let child: ChildProcess | undefined
  afterEach(async () => {
    child?.kill('SIGKILL')
    child = undefined
    await cluster.stopAll()
  })

  it('sees a stopped node dead on every member, and alive again after it restarts', async () => {
    const join = [`127.0.0.61:${BASE_PORT}`]
    const n1 = await cluster.add({ name: 'n1', host: '127.0.0.61', port: BASE_PORT })
    const n2 = await cluster.add({ name: 'n2', host: '127.0.0.62', port: BASE_PORT, join })
    const n3 = await cluster.add({ name: 'n3', host: '127.0.0.63', port: BASE_PORT, join })
    const ids = [n1, n2, n3].map(node => node.gossip.id)
    // Beats can arrive before the node records do: wait for both.
    await waitFor('everyone alive everywhere', () => [n1, n2, n3].every(node => ids.every(id => node.gossip.memberState(id) === 'alive') && node.gossip.members().length === 3))
    expect(n1.gossip.members().map(member => member.state)).toEqual(['alive', 'alive', 'alive'])
    const events = recordEvents([n1, n2])

    await cluster.stop(n3)
    const deadMs = await waitFor('n3 dead on n1 and n2', () => n1.gossip.memberState(n3.gossip.id) === 'dead' && n2.gossip.memberState(n3.gossip.id) === 'dead')
    console.log(`a stopped node was dead on both members after ${deadMs} ms`)
    for (const node of [n1, n2]) expect(events.get(node)).toEqual([`suspect ${n3.gossip.id}`, `dead ${n3.gossip.id}`])

    const document = new ClusterDocument({ log: n3.log })
    document.applyUpdate(n3.document.encodeState(), 'disk')
    await cluster.add({ name: 'n3', host: n3.host, port: n3.port, privateKey: n3.privateKey, document })
    const aliveMs = await waitFor('n3 alive again', () => n1.gossip.memberState(n3.gossip.id) === 'alive' && n2.gossip.memberState(n3.gossip.id) === 'alive')
    console.log(`a restarted node was alive on both members after ${aliveMs} ms`)
    for (const node of [n1, n2]) expect(events.get(node)?.at(-1)).toBe(`alive ${n3.gossip.id}`)
    expect(n1.gossip.memberState('12D3KooWnobody')).toBe('dead')
  })

  it('never declares a member paused for 1 s dead, and declares it dead once killed', async () => {
    const join = `127.0.0.61:${BASE_PORT}`
    const n1 = await cluster.add({ name: 'n1', host: '127.0.0.61', port: BASE_PORT })
    const n2 = await cluster.add({ name: 'n2', host: '127.0.0.62', port: BASE_PORT, join: [join] })
    child = spawn(process.execPath, [FIXTURE], {
      env: { ...process.env, MEMBER_HOST: '127.0.0.63', MEMBER_PORT: String(BASE_PORT), MEMBER_SECRET: secretToToken(cluster.psk), MEMBER_JOIN: join },
      stdio: ['ignore', 'pipe', 'inherit']
    })
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child?.stdout as NodeJS.ReadableStream }).once('line', resolve)
      child?.once('exit', code => { reject(new Error(`the member process exited with ${code}`)) })
    })
    const id = (JSON.parse(line) as { id: string }).id
    await waitFor('the member alive on n1 and n2', () => n1.gossip.memberState(id) === 'alive' && n2.gossip.memberState(id) === 'alive', 15_000)
    const events = recordEvents([n1, n2])

    for (let round = 0; round < 2; round++) {
      child.kill('SIGSTOP')
      await sleep(1000)
      child.kill('SIGCONT')
      await sleep(2500) // past deadMs measured from the start of the pause
      expect(n1.gossip.memberState(id)).toBe('alive')
      expect(n2.gossip.memberState(id)).toBe('alive')
    }
    for (const node of [n1, n2]) expect(events.get(node)?.filter(event => event.startsWith('dead'))).toEqual([])
    console.log(`events during two 1 s pauses: n1 ${JSON.stringify(events.get(n1))}, n2 ${JSON.stringify(events.get(n2))}`)

    child.kill('SIGKILL')
    const deadMs = await waitFor('the killed member dead on n1 and n2', () => n1.gossip.memberState(id) === 'dead' && n2.gossip.memberState(id) === 'dead')
    console.log(`a SIGKILLed member was dead on both members after ${deadMs} ms`)
  })
})
