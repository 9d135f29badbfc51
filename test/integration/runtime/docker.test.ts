// Against the real Docker Engine. Host 127.0.0.51 and node name rt-test keep these
// containers and networks apart from every other test; each test removes what it made.
// The replica network itself: network.test.ts.
import { createServer, type Server, type Socket } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { dockerRuntime, ExecTimeoutError, ImageMismatchError, ImagePullError, RuntimeUnavailableError, type ContainerEvent, type Runtime } from '../../../src/node/runtime/index.ts'
import { recordingLogger } from '../../support/logger.ts'
import { docker, httpdSpec, httpGet, IMAGE, removeAll } from './support.ts'
import { waitFor } from '../../support/wait.ts'

const HOST = '127.0.0.51'
const NODE = 'rt-test'
const MiB = 2 ** 20

describe('dockerRuntime against the engine', () => {
  const log = recordingLogger()
  let runtime: Runtime

  beforeAll(async () => {
    await removeAll(NODE)
    runtime = dockerRuntime({ host: HOST, nodeName: NODE, log })
  })
  afterEach(async () => {
    await removeAll(NODE)
    await removeAll('rt-test-other')
  })
  afterAll(async () => {
    await runtime.stop()
    await removeAll(NODE)
  })

  it('pings the engine', async () => {
    await runtime.ping()
  })

  it('runs a labelled replica on the node\'s network, serving HTTP on its address there and published nowhere', async () => {
    const spec = httpdSpec({ labels: { team: 'web', 'meshd.node': 'spoofed' }, env: { GREETING: 'hi' } })
    const info = await runtime.run({ spec, slot: 2, generation: 7 })

    expect(info.name).toMatch(/^meshd-rt-test-web-2-g7-[0-9a-f]{4}$/)
    expect(info).toMatchObject({ service: 'web', slot: 2, generation: 7, node: NODE, state: 'running' })
    expect(info.ip).toMatch(/^10\.2(0[89]|1\d|2[0-3])\.\d+\.\d+$/)
    expect(info.ports).toEqual([{ target: 8080, endpoint: `${info.ip}:8080` }])

    // toMatchObject: the engine adds the image's own labels.
    const labels = JSON.parse(await docker('inspect', '--format', '{{json .Config.Labels}}', info.id)) as Record<string, string>
    expect(labels).toMatchObject({ team: 'web', 'meshd.service': 'web', 'meshd.slot': '2', 'meshd.node': NODE, 'meshd.generation': '7' })
    expect(await docker('inspect', '--format', '{{.HostConfig.RestartPolicy.Name}}', info.id)).toBe('no')
    expect(await docker('inspect', '--format', '{{json .Config.Env}}', info.id)).toContain('GREETING=hi')
    // run() made the node's network, without being asked to.
    expect(await docker('inspect', '--format', '{{.HostConfig.NetworkMode}}', info.id)).toBe('meshd-rt-test')
    expect(await docker('port', info.id)).toBe('')

    const endpoint = info.ports[0]?.endpoint ?? ''
    const response = await waitFor(async () => await httpGet(endpoint).catch(() => undefined), { timeoutMs: 5000, intervalMs: 25, what: 'httpd to answer' })
    expect(response.status).toBe(200)
    expect(response.body).toBe('hello from meshd\n')
  })

  it('also exposes the health check port when no port targets it', async () => {
    const spec = httpdSpec({ health: { type: 'tcp', port: 9090 } })
    const info = await runtime.run({ spec, slot: 0, generation: 1 })
    expect(info.ports).toEqual([{ target: 8080, endpoint: `${info.ip}:8080` }, { target: 9090, endpoint: `${info.ip}:9090` }])
  })

  it('lists and inspects its containers', async () => {
    const a = await runtime.run({ spec: httpdSpec(), slot: 0, generation: 1 })
    const b = await runtime.run({ spec: httpdSpec({ command: ['sh', '-c', 'exit 4'] }), slot: 1, generation: 1 })
    await waitFor(async () => (await runtime.inspect(b.id))?.state === 'exited' ? true : undefined, { timeoutMs: 5000, intervalMs: 25, what: 'b to exit' })

    const listed = await runtime.list()
    expect(listed.map(c => c.id).sort()).toEqual([a.id, b.id].sort())
    const listedA = listed.find(c => c.id === a.id)
    expect(listedA).toMatchObject({ name: a.name, service: 'web', slot: 0, generation: 1, node: NODE, state: 'running', ip: a.ip, ports: a.ports })
    expect(listed.find(c => c.id === b.id)).toMatchObject({ slot: 1, state: 'exited', exitCode: 4, ports: [] })
    expect(listed.find(c => c.id === b.id)).not.toHaveProperty('ip')

    const inspected = await runtime.inspect(a.id)
    expect(inspected).toMatchObject({ id: a.id, name: a.name, state: 'running', ip: a.ip, ports: a.ports })
    expect(inspected?.startedAt).toBeTypeOf('string')
    expect(await runtime.inspect(b.id)).toMatchObject({ state: 'exited', exitCode: 4 })
    expect(await runtime.inspect('meshd-no-such-container')).toBeUndefined()
  })

  it('executes commands and reports their exit codes and output', async () => {
    const { id } = await runtime.run({ spec: httpdSpec(), slot: 0, generation: 1 })
    expect(await runtime.exec(id, ['true'])).toEqual({ exitCode: 0, output: '' })
    expect((await runtime.exec(id, ['false'])).exitCode).toBe(1)
    const result = await runtime.exec(id, ['sh', '-c', 'echo out; echo err >&2; exit 3'])
    expect(result.exitCode).toBe(3)
    expect(result.output).toContain('out')
    expect(result.output).toContain('err')
    expect((await runtime.exec(id, ['cat', '/www/index.html'])).output).toBe('hello from meshd\n')
  })

  it('caps exec output and enforces its timeout', async () => {
    const { id } = await runtime.run({ spec: httpdSpec(), slot: 0, generation: 1 })
    const big = await runtime.exec(id, ['sh', '-c', 'i=0; while [ $i -lt 3000 ]; do echo 0123456789012345678901234567890123456789; i=$((i+1)); done'])
    expect(big.exitCode).toBe(0)
    expect(big.output.length).toBeLessThan(70 * 1024)
    expect(big.output).toMatch(/\[output truncated\]$/)

    const started = Date.now()
    await expect(runtime.exec(id, ['sleep', '5'], { timeoutMs: 300 })).rejects.toBeInstanceOf(ExecTimeoutError)
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('fails exec in a container that is not running', async () => {
    const { id } = await runtime.run({ spec: httpdSpec({ command: ['true'] }), slot: 0, generation: 1 })
    await waitFor(async () => (await runtime.inspect(id))?.state === 'exited' ? true : undefined, { timeoutMs: 5000, intervalMs: 25, what: 'exit' })
    await expect(runtime.exec(id, ['true'])).rejects.toThrow(/not running/i)
  })

  it('removes a replica, and removing it again is fine', async () => {
    const { id } = await runtime.run({ spec: httpdSpec(), slot: 0, generation: 1 })
    await runtime.remove(id, { graceSeconds: 0 })
    expect(await runtime.inspect(id)).toBeUndefined()
    await runtime.remove(id)
    expect(await runtime.list()).toEqual([])
  })

  it('removes a stopped replica', async () => {
    const { id } = await runtime.run({ spec: httpdSpec({ command: ['true'] }), slot: 0, generation: 1 })
    await waitFor(async () => (await runtime.inspect(id))?.state === 'exited' ? true : undefined, { timeoutMs: 5000, intervalMs: 25, what: 'exit' })
    await runtime.remove(id)
    expect(await runtime.inspect(id)).toBeUndefined()
  })

  it('watches this node\'s containers and sees a die after docker kill', async () => {
    const events: ContainerEvent[] = []
    const watcher = dockerRuntime({ host: HOST, nodeName: NODE, log })
    watcher.watch(event => { events.push(event) })
    try {
      // The stream only carries events after it is established; start a canary until one shows up.
      let info = await runtime.run({ spec: httpdSpec(), slot: 5, generation: 3 })
      await waitFor(() => events.find(e => e.id === info.id && e.action === 'start'), { timeoutMs: 5000, intervalMs: 25, what: 'start event' })
      await docker('kill', info.id)
      const died = await waitFor(() => events.find(e => e.id === info.id && e.action === 'die'), { timeoutMs: 5000, intervalMs: 25, what: 'die event' })
      expect(died).toEqual({ id: info.id, action: 'die', service: 'web', slot: 5, exitCode: 137 })

      // Containers of other nodes are not reported.
      const other = await docker('run', '-d', '--label', 'meshd.node=rt-test-other', '--label', 'meshd.service=x', IMAGE, 'true')
      info = await runtime.run({ spec: httpdSpec(), slot: 6, generation: 3 })
      await waitFor(() => events.find(e => e.id === info.id && e.action === 'start'), { timeoutMs: 5000, intervalMs: 25, what: 'second start event' })
      await docker('rm', '-f', other)
      expect(events.some(e => e.id === other)).toBe(false)
      // Exec events (every cmd health probe) are filtered out.
      await runtime.exec(info.id, ['true'])
      expect(events.some(e => e.action.startsWith('exec'))).toBe(false)
    } finally {
      await watcher.stop()
    }
  })

  it('limits cpus, memory (without swap) and pids, and rotates the logs', async () => {
    const limited = await runtime.run({ spec: httpdSpec({ resources: { limits: { cpus: 0.5, memory: 64 * MiB, pids: 64 } } }), slot: 0, generation: 1 })
    const plain = await runtime.run({ spec: httpdSpec(), slot: 1, generation: 1 })
    const hostConfig = async (id: string) => JSON.parse(await docker('inspect', '--format', '{{json .HostConfig}}', id)) as Record<string, unknown>
    const logs = { LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } } }
    expect(await hostConfig(limited.id)).toMatchObject({ NanoCpus: 500_000_000, Memory: 64 * MiB, MemorySwap: 64 * MiB, PidsLimit: 64, ...logs })
    expect(await hostConfig(plain.id)).toMatchObject({ NanoCpus: 0, Memory: 0, PidsLimit: 4096, ...logs })
    // The kernel enforces it (cgroup v1 or v2 layout).
    const pidsMax = await runtime.exec(limited.id, ['sh', '-c', 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'])
    expect(pidsMax.output.trim()).toBe('64')
  })

  it('reports a replica the OOM killer ended for going past its memory limit', async () => {
    const events: ContainerEvent[] = []
    const unwatch = runtime.watch(event => { events.push(event) })
    try {
      // The stream only carries events after it is established: wait for a canary's start.
      const canary = await runtime.run({ spec: httpdSpec(), slot: 0, generation: 1 })
      await waitFor(() => events.find(e => e.id === canary.id && e.action === 'start'), { timeoutMs: 5000, intervalMs: 25, what: 'start event' })
      // The shell (pid 1) doubles a string until the limit is reached.
      const hog = await runtime.run({ spec: httpdSpec({ command: ['sh', '-c', 'x=0123456789; while true; do x="$x$x"; done'], resources: { limits: { memory: 16 * MiB } } }), slot: 1, generation: 1 })
      await waitFor(() => events.find(e => e.id === hog.id && e.action === 'die'), { timeoutMs: 20_000, intervalMs: 25, what: 'the hog to die' })
      expect(events.filter(e => e.id === hog.id && !['create', 'start'].includes(e.action))).toEqual([
        { id: hog.id, action: 'oom', service: 'web', slot: 1 },
        { id: hog.id, action: 'die', service: 'web', slot: 1, exitCode: 137 }
      ])
      expect(await runtime.inspect(hog.id)).toMatchObject({ state: 'exited', exitCode: 137, oomKilled: true })
      expect(await runtime.inspect(canary.id)).not.toHaveProperty('oomKilled')
    } finally {
      await unwatch()
    }
  })

  it('runs the image id a deploy recorded: by tag, or by id where the tag is absent, without pulling', async () => {
    const id = await runtime.imageId(IMAGE)
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(await runtime.imageId('meshd/no-such-image:latest')).toBeUndefined()
    const byTag = await runtime.run({ spec: httpdSpec(), slot: 0, generation: 1, imageId: id })
    const shown = async (cid: string) => await docker('inspect', '--format', '{{.Image}} {{.Config.Image}} {{index .Config.Labels "meshd.image-id"}}', cid)
    expect(await shown(byTag.id)).toBe(`${id} ${IMAGE} ${id}`)
    const gone = '127.0.0.1:1/meshd/gone:latest'
    await runtime.ensureImage(gone, { imageId: id })
    const byId = await runtime.run({ spec: httpdSpec({ image: gone }), slot: 1, generation: 1, imageId: id })
    expect(await shown(byId.id)).toBe(`${id} ${id} ${id}`)
  })

  it('refuses to start another image than the one a deploy recorded, naming the tag and both ids', async () => {
    const local = await runtime.imageId(IMAGE)
    const expected = `sha256:${'0'.repeat(64)}`
    const other = await runtime.run({ spec: httpdSpec(), slot: 0, generation: 1, imageId: expected }).catch((error: unknown) => error)
    expect(other).toBeInstanceOf(ImageMismatchError)
    expect((other as Error).message).toMatch(new RegExp(`^image "meshd/busybox:latest" is ${local} on this node, expected ${expected} \\(the id recorded when the service was deployed\\): load that image here`))
    const gone = '127.0.0.1:1/meshd/gone:latest'
    const missing = await runtime.ensureImage(gone, { imageId: expected }).catch((error: unknown) => error)
    expect(missing).toBeInstanceOf(ImageMismatchError)
    expect((missing as Error).message).toMatch(/^image "127\.0\.0\.1:1\/meshd\/gone:latest" is not on this node \(neither the tag nor an image with that id, and pulling it failed: .+\), expected sha256:0{64} /)
    await expect(runtime.run({ spec: httpdSpec({ image: gone }), slot: 0, generation: 1, imageId: expected })).rejects.toThrow(/is not on this node \(neither the tag nor an image with that id\), expected sha256:0{64}/)
    expect(await runtime.list()).toEqual([])
  })

  it('explains a missing image', async () => {
    await expect(runtime.run({ spec: httpdSpec({ image: 'meshd/no-such-image:latest' }), slot: 0, generation: 1 }))
      .rejects.toThrow(/no such image/i)
    await runtime.ensureImage(IMAGE)
    // A registry on a closed loopback port: the pull fails without leaving this machine.
    const image = '127.0.0.1:1/meshd/no-such-image:latest'
    const err = await runtime.ensureImage(image).catch((error: unknown) => error)
    expect(err).toBeInstanceOf(ImagePullError)
    expect((err as Error).message).toMatch(/^image "127\.0\.0\.1:1\/meshd\/no-such-image:latest" not found locally and could not be pulled: .+/)
  })

  it('honours an abort signal and leaves nothing behind', async () => {
    const err = await runtime.run({ spec: httpdSpec(), slot: 0, generation: 1 }, { signal: AbortSignal.abort() }).catch((error: unknown) => error)
    expect((err as Error).name).toBe('AbortError')
    expect(await runtime.list()).toEqual([])
  })

  it('leaves nothing behind when a container cannot start', async () => {
    await expect(runtime.run({ spec: httpdSpec({ command: ['/no/such/binary'] }), slot: 0, generation: 1 }))
      .rejects.toThrow(/no such file|not found|executable/i)
    expect(await runtime.list()).toEqual([])
  })
})

describe('dockerRuntime without an engine', () => {
  let dir: string
  let hung: Server | undefined
  const accepted: Socket[] = []

  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'meshd-rt-')) })
  afterAll(async () => {
    await new Promise(resolve => hung === undefined ? resolve(undefined) : hung.close(resolve))
    await rm(dir, { recursive: true, force: true })
  })

  it('reports RuntimeUnavailableError from ping, run, list and ensureImage on a missing socket', async () => {
    const socketPath = join(dir, 'missing.sock')
    const runtime = dockerRuntime({ host: HOST, nodeName: NODE, log: recordingLogger(), socketPath })
    try {
      const err = await runtime.ping().catch((error: unknown) => error)
      expect(err).toBeInstanceOf(RuntimeUnavailableError)
      expect((err as Error).message).toContain(socketPath)
      expect((err as Error).message).toMatch(/is dockerd running/)
      await expect(runtime.run({ spec: httpdSpec(), slot: 0, generation: 1 })).rejects.toBeInstanceOf(RuntimeUnavailableError)
      await expect(runtime.list()).rejects.toBeInstanceOf(RuntimeUnavailableError)
      await expect(runtime.inspect('x')).rejects.toBeInstanceOf(RuntimeUnavailableError)
      await expect(runtime.remove('x')).rejects.toBeInstanceOf(RuntimeUnavailableError)
      await expect(runtime.exec('x', ['true'])).rejects.toBeInstanceOf(RuntimeUnavailableError)
      await expect(runtime.ensureImage(IMAGE)).rejects.toBeInstanceOf(RuntimeUnavailableError)
    } finally {
      await runtime.stop()
    }
  })

  it('gives up on a ping the engine never answers after about 2 s', async () => {
    const socketPath = join(dir, 'hung.sock')
    const server = createServer((socket) => {
      // Accept and never answer.
      accepted.push(socket)
    })
    hung = server
    await new Promise<void>(resolve => server.listen(socketPath, resolve))
    const runtime = dockerRuntime({ host: HOST, nodeName: NODE, log: recordingLogger(), socketPath })
    try {
      const started = Date.now()
      const err = await runtime.ping().catch((error: unknown) => error)
      expect(err).toBeInstanceOf(RuntimeUnavailableError)
      expect((err as Error).message).toMatch(/did not answer within 2 s/)
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900)
      expect(Date.now() - started).toBeLessThan(4000)
    } finally {
      await runtime.stop()
      for (const socket of accepted) socket.destroy()
    }
  })
})
