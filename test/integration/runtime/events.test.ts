// The event watch across an engine outage. The engine is shared with other tests and
// cannot be restarted, so the runtime talks to it through a unix-socket relay that the
// test cuts and restores: to the runtime that is exactly an engine going away.
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { dockerRuntime, RECONNECTED, type ContainerEvent } from '../../../src/node/runtime/index.ts'
import { toContainerEvent } from '../../../src/node/runtime/events.ts'
import { messages, recordingLogger } from '../../support/logger.ts'
import { docker, httpdSpec, removeAll } from './support.ts'
import { waitFor } from '../../support/wait.ts'

const HOST = '127.0.0.51'
const NODE = 'rt-test'

class SocketRelay {
  readonly path: string
  private server?: Server
  private readonly sockets = new Set<Socket>()

  constructor (path: string) {
    this.path = path
  }

  get connections (): number {
    return this.sockets.size
  }

  async open (): Promise<void> {
    await rm(this.path, { force: true })
    const server = createServer((client) => {
      const engine = connect('/var/run/docker.sock')
      // Counts the runtime's side only; either side closing closes both.
      this.sockets.add(client)
      client.on('close', () => { this.sockets.delete(client); engine.destroy() })
      engine.on('close', () => { client.destroy() })
      client.on('error', () => {})
      engine.on('error', () => {})
      client.pipe(engine).pipe(client)
    })
    this.server = server
    await new Promise<void>(resolve => server.listen(this.path, resolve))
  }

  async cut (): Promise<void> {
    const server = this.server
    this.server = undefined
    for (const socket of this.sockets) socket.destroy()
    await new Promise(resolve => server === undefined ? resolve(undefined) : server.close(resolve))
  }
}

describe('toContainerEvent', () => {
  it('maps a Docker event line', () => {
    expect(toContainerEvent({
      status: 'die', id: 'abc', Type: 'container', Action: 'die',
      Actor: { ID: 'abc', Attributes: { 'meshd.service': 'web', 'meshd.slot': '3', exitCode: '137' } }
    })).toEqual({ id: 'abc', action: 'die', service: 'web', slot: 3, exitCode: 137 })
  })

  it('keeps only the verb of actions with details and drops exec events', () => {
    expect(toContainerEvent({ Action: 'health_status: healthy', Actor: { ID: 'abc', Attributes: {} } }))
      .toEqual({ id: 'abc', action: 'health_status' })
    expect(toContainerEvent({ Action: 'exec_create: sh -c true', Actor: { ID: 'abc', Attributes: {} } })).toBeUndefined()
    expect(toContainerEvent({ Action: 'exec_die', Actor: { ID: 'abc', Attributes: {} } })).toBeUndefined()
    expect(toContainerEvent('nonsense')).toBeUndefined()
    expect(toContainerEvent({ Action: 'start' })).toBeUndefined()
  })
})

describe('watch across an engine outage', () => {
  let dir: string
  let relay: SocketRelay

  beforeAll(async () => {
    await removeAll(NODE)
    dir = await mkdtemp(join(tmpdir(), 'meshd-events-'))
    relay = new SocketRelay(join(dir, 'docker.sock'))
  })
  afterEach(async () => {
    await relay.cut()
    await removeAll(NODE)
  })
  afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

  it('warns once per outage, reports reconnected when the engine is back, and stops cleanly', async () => {
    await relay.open()
    const log = recordingLogger()
    const events: ContainerEvent[] = []
    const runtime = dockerRuntime({ host: HOST, nodeName: NODE, log, socketPath: relay.path })
    runtime.watch(event => { events.push(event) })
    try {
      const first = await runtime.run({ spec: httpdSpec(), slot: 0, generation: 1 })
      await waitFor(() => events.find(e => e.id === first.id && e.action === 'start'), { timeoutMs: 5000, intervalMs: 25, what: 'start event' })

      await relay.cut()
      await waitFor(() => messages(log.entries, 'warn').length > 0 ? true : undefined, { timeoutMs: 5000, intervalMs: 25, what: 'the outage warning' })
      // Several reconnect attempts fail meanwhile (250, 500, 1000 ms): still one warning.
      await new Promise(resolve => setTimeout(resolve, 1800))
      await docker('kill', first.id)
      expect(messages(log.entries, 'warn')).toEqual(['docker engine unreachable, retrying'])
      expect(events.some(e => e.action === RECONNECTED)).toBe(false)

      await relay.open()
      await waitFor(() => events.find(e => e.action === RECONNECTED), { timeoutMs: 8000, intervalMs: 25, what: 'reconnected' })
      expect(events.filter(e => e.action === RECONNECTED)).toEqual([{ id: '', action: RECONNECTED }])
      expect(messages(log.entries, 'info')).toContain('docker engine reachable again, resyncing')

      const second = await runtime.run({ spec: httpdSpec(), slot: 1, generation: 1 })
      await waitFor(() => events.find(e => e.id === second.id && e.action === 'start'), { timeoutMs: 5000, intervalMs: 25, what: 'start event after reconnect' })
      expect(messages(log.entries, 'warn')).toHaveLength(1)
      expect(messages(log.entries, 'error')).toEqual([])
    } finally {
      await runtime.stop()
    }
    // stop() leaves nothing open: not the event stream, not an idle keep-alive socket.
    await waitFor(() => relay.connections === 0 ? true : undefined, { timeoutMs: 2000, intervalMs: 25, what: 'the runtime to close its connections' })
  })

  it('reports reconnected when the engine was away at the first attempt', async () => {
    const log = recordingLogger()
    const events: ContainerEvent[] = []
    const runtime = dockerRuntime({ host: HOST, nodeName: NODE, log, socketPath: relay.path })
    runtime.watch(event => { events.push(event) })
    try {
      await waitFor(() => messages(log.entries, 'warn').length > 0 ? true : undefined, { timeoutMs: 5000, intervalMs: 25, what: 'the outage warning' })
      await relay.open()
      await waitFor(() => events.find(e => e.action === RECONNECTED), { timeoutMs: 8000, intervalMs: 25, what: 'reconnected' })
    } finally {
      await runtime.stop()
    }
  })
})
