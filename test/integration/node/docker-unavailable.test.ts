// The Docker Engine missing at start, and going away while the daemon runs (issue 2,
// acceptance 8). The daemon talks to the engine through a unix-socket forwarder that
// the test cuts and restores, so the real engine stays up for everything else.

import { rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { api, cleanupAll, containersOf, IMAGE, spawnDaemon, startDaemon, waitFor } from '../../support/daemon.ts'

class SocketForwarder {
  readonly path: string
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()

  constructor (path: string) {
    this.path = path
  }

  async open (): Promise<void> {
    rmSync(this.path, { force: true })
    this.server = createServer((client) => {
      const engine = createConnection('/var/run/docker.sock')
      for (const socket of [client, engine]) {
        this.sockets.add(socket)
        socket.on('close', () => this.sockets.delete(socket))
        socket.on('error', () => { client.destroy(); engine.destroy() })
      }
      client.pipe(engine).pipe(client)
    })
    await new Promise<void>((resolve) => this.server?.listen(this.path, resolve))
  }

  /** The engine "goes away": the socket disappears and open connections break. */
  async cut (): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => { this.server?.close(() => { resolve() }) ?? resolve() })
    rmSync(this.path, { force: true })
  }
}

describe('when the Docker Engine is unavailable', () => {
  afterAll(cleanupAll)

  it('refuses to start with one clear message and a non-zero exit', async () => {
    const daemon = spawnDaemon({ name: 'test-nodocker', host: '127.0.0.23', env: { DOCKER_HOST: 'unix:///tmp/meshd-no-such-docker.sock' } })
    const code = await daemon.exited
    expect(code).not.toBe(0)
    expect(daemon.output()).toMatch(/cannot reach the Docker Engine/)
    expect(daemon.output()).toMatch(/dockerd|systemctl start docker/)
  })

  it('logs, retries and keeps serving while the engine is away, then recovers', async () => {
    const forwarder = new SocketForwarder(join(tmpdir(), `meshd-test-docker-${process.pid}.sock`))
    await forwarder.open()
    const daemon = await startDaemon({ name: 'test-flaky', host: '127.0.0.24', env: { DOCKER_HOST: `unix://${forwarder.path}` } })
    const spec = { name: 'steady', image: IMAGE, command: ['httpd', '-f', '-p', '8080', '-h', '/www'], replicas: 1, ports: [{ published: 18095, target: 8080 }] }
    expect((await api(daemon.api, 'PUT', '/v1/services/steady', spec)).status).toBe(201)
    await waitFor(async () => (await api(daemon.api, 'GET', '/v1/services/steady')).body.status.healthy === 1, { what: 'steady to be healthy' })

    await forwarder.cut()
    // Changes made while the engine is away wait for it; the daemon must not crash.
    expect((await api(daemon.api, 'POST', '/v1/services/steady/scale', { replicas: 2 })).status).toBe(200)
    await waitFor(() => /docker engine unreachable/.test(daemon.output()), { what: 'the outage to be logged' })
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(daemon.child.exitCode).toBe(null)
    expect((await api(daemon.api, 'GET', '/v1/health')).status).toBe(200)

    await forwarder.open()
    await waitFor(async () => {
      const view = (await api(daemon.api, 'GET', '/v1/services/steady')).body
      return view.status.healthy === 2 && containersOf('test-flaky', 'steady').length === 2
    }, { timeoutMs: 30_000, what: 'the scale to complete once the engine is back' })
    await forwarder.cut()
  })
})
