// The create options of a replica, as plain data: no engine involved.

import { describe, expect, it } from 'vitest'
import type { ServiceSpec } from '../../../src/crdt/index.ts'
import { containerName, createOptions, dnsSearch, fileSource, limitOptions } from '../../../src/node/runtime/container-spec.ts'
import { DEFAULT_PIDS_LIMIT } from '../../../src/node/runtime/constants.ts'

const MiB = 2 ** 20

function spec (fields: Partial<ServiceSpec> = {}): ServiceSpec {
  return { name: 'web', image: 'meshd/busybox:latest', env: { A: '1' }, replicas: 1, ports: [{ published: 80, target: 8080 }], labels: { team: 'x' }, ...fields }
}

const context = { nodeName: 'n1', name: 'meshd-n1-web-0-g2-abcd', network: { name: 'meshd-n1', gateway: '10.211.16.1' } }

describe('limitOptions', () => {
  it('sets only the default pids limit when the spec limits nothing', () => {
    expect(limitOptions(undefined)).toStrictEqual({ PidsLimit: DEFAULT_PIDS_LIMIT })
    expect(limitOptions({})).toStrictEqual({ PidsLimit: 4096 })
  })

  it('turns cpus into nano-cpus, and swap into no more than the memory limit', () => {
    expect(limitOptions({ cpus: 0.5, memory: 64 * MiB, pids: 64 })).toStrictEqual({
      NanoCpus: 500_000_000, Memory: 64 * MiB, MemorySwap: 64 * MiB, PidsLimit: 64
    })
    // Floating point must not leave a fraction of a nano-cpu: Docker wants an integer.
    expect(limitOptions({ cpus: 0.07 }).NanoCpus).toBe(70_000_000)
    expect(limitOptions({ cpus: 0.01 }).NanoCpus).toBe(10_000_000)
  })

  it('caps cpus at the engine\'s, which Docker would otherwise refuse', () => {
    expect(limitOptions({ cpus: 8 }, 2).NanoCpus).toBe(2_000_000_000)
    expect(limitOptions({ cpus: 1.5 }, 2).NanoCpus).toBe(1_500_000_000)
  })
})

describe('createOptions', () => {
  it('labels, exposes, limits and rotates the logs of a replica on the node\'s network', () => {
    const options = createOptions({ spec: spec({ resources: { cpus: 0.25, limits: { memory: 64 * MiB, pids: 64 } } }), slot: 0, generation: 2 }, context)
    expect(options).toStrictEqual({
      name: context.name,
      Hostname: 'web-0',
      Image: 'meshd/busybox:latest',
      StopTimeout: 2,
      Env: ['A=1', 'MESHD_NODE=n1', 'MESHD_SERVICE=web', 'MESHD_SLOT=0', 'MESHD_GENERATION=2'],
      Labels: { team: 'x', 'meshd.service': 'web', 'meshd.slot': '0', 'meshd.node': 'n1', 'meshd.generation': '2' },
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: {
        NetworkMode: 'meshd-n1',
        Dns: ['10.211.16.1'],
        DnsSearch: ['meshd'],
        RestartPolicy: { Name: 'no' },
        Memory: 64 * MiB,
        MemorySwap: 64 * MiB,
        PidsLimit: 64,
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } }
      },
      NetworkingConfig: { EndpointsConfig: { 'meshd-n1': {} } }
    })
  })

  it('publishes no port: every target and the health port are only exposed, on the replica network', () => {
    const options = createOptions({ spec: spec({ ports: [{ published: 80, target: 8080 }, { published: 443, target: 8443 }, { published: 81, target: 8080 }], health: { type: 'tcp', port: 9090 } }), slot: 0, generation: 1 }, context)
    expect(options.ExposedPorts).toStrictEqual({ '8080/tcp': {}, '8443/tcp': {}, '9090/tcp': {} })
    expect(options.HostConfig).not.toHaveProperty('PortBindings')
    expect(options.HostConfig).not.toHaveProperty('PublishAllPorts')
    expect(options.HostConfig).toMatchObject({ NetworkMode: 'meshd-n1', Dns: ['10.211.16.1'], DnsSearch: ['meshd'] })
    expect(options.NetworkingConfig).toStrictEqual({ EndpointsConfig: { 'meshd-n1': {} } })
  })

  it('rotates the logs and limits pids of a replica whose spec says nothing about resources', () => {
    const host = createOptions({ spec: spec(), slot: 1, generation: 1 }, context).HostConfig
    expect(host?.LogConfig).toStrictEqual({ Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } })
    expect(host?.PidsLimit).toBe(DEFAULT_PIDS_LIMIT)
    expect(host).not.toHaveProperty('Memory')
    expect(host).not.toHaveProperty('NanoCpus')
  })

  it('passes the engine\'s cpus on to the cpu limit', () => {
    const options = createOptions({ spec: spec({ resources: { limits: { cpus: 64 } } }), slot: 0, generation: 1 }, { ...context, engineCpus: 4 })
    expect(options.HostConfig?.NanoCpus).toBe(4e9)
  })

  it('creates from the reference it is given and labels the image id the deploy recorded', () => {
    const imageId = `sha256:${'c'.repeat(64)}`
    const options = createOptions({ spec: spec(), slot: 0, generation: 1, imageId }, { ...context, image: imageId })
    expect(options.Image).toBe(imageId)
    expect(options.Labels).toMatchObject({ 'meshd.image-id': imageId, 'meshd.service': 'web' })
    expect(createOptions({ spec: spec(), slot: 0, generation: 1 }, context).Labels).not.toHaveProperty('meshd.image-id')
  })

  it('mounts each file read-only from its index in the files directory, and hands Docker nothing of its content', () => {
    const files = [
      { path: '/run/secrets/db-pass', data: Buffer.from('hunter2-secret'), mode: 0o400, uid: 0, gid: 0 },
      { path: '/etc/app/config.yml', data: Buffer.from('key: config-value'), mode: 0o444, uid: 1000, gid: 1000 }
    ]
    const filesDir = '/dev/shm/meshd-n1/meshd-n1-web-0-g2-abcd'
    const options = createOptions({ spec: spec(), slot: 0, generation: 2, files }, { ...context, filesDir })
    expect(options.HostConfig?.Mounts).toStrictEqual([
      { Type: 'bind', Source: '/dev/shm/meshd-n1/meshd-n1-web-0-g2-abcd/0', Target: '/run/secrets/db-pass', ReadOnly: true },
      { Type: 'bind', Source: '/dev/shm/meshd-n1/meshd-n1-web-0-g2-abcd/1', Target: '/etc/app/config.yml', ReadOnly: true }
    ])
    expect(fileSource(filesDir, 1)).toBe(`${filesDir}/1`)
    // Everything else is what a replica without files gets.
    const { Mounts, ...host } = options.HostConfig ?? {}
    expect({ ...options, HostConfig: host }).toStrictEqual(createOptions({ spec: spec(), slot: 0, generation: 2 }, context))
    const serialised = JSON.stringify(options)
    for (const secret of ['hunter2', 'config-value', Buffer.from('hunter2-secret').toString('base64'), '"Buffer"']) expect(serialised).not.toContain(secret)
  })

  it('mounts nothing without files, and refuses files without the directory they were written to', () => {
    expect(createOptions({ spec: spec(), slot: 0, generation: 1, files: [] }, context).HostConfig).not.toHaveProperty('Mounts')
    const files = [{ path: '/run/secrets/a', data: Buffer.from('x'), mode: 0o400, uid: 0, gid: 0 }]
    expect(() => createOptions({ spec: spec(), slot: 0, generation: 1, files }, context)).toThrow(/directory/)
  })

  it('starts and stops the process as the spec says: entrypoint, user, directory, signal and grace', () => {
    const options = createOptions({ spec: spec({ entrypoint: ['/init', '--'], user: '1000:1000', workingDir: '/srv', stopSignal: 'SIGQUIT', stopGracePeriod: '1m30s' }), slot: 0, generation: 1, stopGraceSeconds: 90 }, context)
    expect(options).toMatchObject({ Entrypoint: ['/init', '--'], User: '1000:1000', WorkingDir: '/srv', StopSignal: 'SIGQUIT', StopTimeout: 90 })
    // An empty entrypoint reaches Docker as one: it resets the image's.
    expect(createOptions({ spec: spec({ entrypoint: [] }), slot: 0, generation: 1 }, context).Entrypoint).toStrictEqual([])
    const plain = createOptions({ spec: spec(), slot: 0, generation: 1 }, context)
    for (const key of ['Entrypoint', 'User', 'WorkingDir', 'StopSignal']) expect(plain).not.toHaveProperty(key)
  })

  it('labels a stack\'s replica with its stack and searches the stack\'s names first', () => {
    const options = createOptions({ spec: spec({ name: 'shop-web', stack: 'shop' }), slot: 0, generation: 1 }, context)
    expect(options.Labels).toMatchObject({ 'meshd.stack': 'shop', 'meshd.service': 'shop-web' })
    expect(options.HostConfig?.DnsSearch).toStrictEqual(['shop.meshd', 'meshd'])
    expect(createOptions({ spec: spec(), slot: 0, generation: 1 }, context).Labels).not.toHaveProperty('meshd.stack')
    expect(dnsSearch({})).toStrictEqual(['meshd'])
  })

  it('names the replica after node, service, slot and generation', () => {
    expect(containerName('node 1/x', { spec: spec(), slot: 3, generation: 7 }, 'beef')).toBe('meshd-node-1-x-web-3-g7-beef')
  })
})
