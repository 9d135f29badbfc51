// A replica's process as the spec says, against the real engine: entrypoint, user,
// working directory, stop signal and grace, and a stack's label and DNS search list.
// Node name rt-process keeps its container and network apart from the other tests.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dockerRuntime, type Runtime } from '../../../src/node/runtime/index.ts'
import { recordingLogger } from '../../support/logger.ts'
import { waitFor } from '../../support/wait.ts'
import { docker, httpdSpec, removeAll } from './support.ts'

const HOST = '127.0.0.51'
const NODE = 'rt-process'

describe('a replica\'s process', () => {
  let runtime: Runtime

  beforeAll(async () => {
    await removeAll(NODE)
    runtime = dockerRuntime({ host: HOST, nodeName: NODE, log: recordingLogger() })
  })
  afterAll(async () => {
    await runtime.stop()
    await removeAll(NODE)
  })

  it('starts with the spec\'s entrypoint, user and directory, and stops with its signal', async () => {
    // The trap exits 42 on SIGINT only: the exit code says which signal `docker stop` sent.
    const spec = httpdSpec({
      name: 'shop-worker',
      stack: 'shop',
      entrypoint: ['sh', '-c'],
      command: ['trap "exit 42" INT; while true; do sleep 0.1; done'],
      user: '1000:1000',
      workingDir: '/tmp',
      stopSignal: 'SIGINT',
      stopGracePeriod: '7s'
    })
    const { id } = await runtime.run({ spec, slot: 0, generation: 1, stopGraceSeconds: 7 })
    const config = JSON.parse(await docker('inspect', '--format', '{{json .Config}}', id)) as Record<string, unknown>
    expect(config).toMatchObject({ Entrypoint: ['sh', '-c'], User: '1000:1000', WorkingDir: '/tmp', StopSignal: 'SIGINT', StopTimeout: 7 })
    expect(config.Labels).toMatchObject({ 'meshd.stack': 'shop', 'meshd.service': 'shop-worker' })
    expect(JSON.parse(await docker('inspect', '--format', '{{json .HostConfig.DnsSearch}}', id))).toEqual(['shop.meshd', 'meshd'])
    expect(await runtime.exec(id, ['sh', '-c', 'echo "$(id -u):$(id -g) $(pwd)"'])).toEqual({ exitCode: 0, output: '1000:1000 /tmp\n' })

    await docker('stop', id)
    await waitFor(async () => (await runtime.inspect(id))?.state === 'exited' ? true : undefined, { timeoutMs: 10_000, intervalMs: 50, what: 'the replica to exit' })
    expect((await runtime.inspect(id))?.exitCode).toBe(42)
  })
})
