// A replica's data mounts, its hostname and the names of its volumes, as plain data.

import { describe, expect, it } from 'vitest'
import type { ServiceSpec } from '../../../src/crdt/index.ts'
import { createOptions, replicaHostname, volumeName } from '../../../src/node/runtime/container-spec.ts'
import { volumeInfo } from '../../../src/node/runtime/volumes.ts'

const DOCKER_VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/
const MiB = 2 ** 20

function spec (fields: Partial<ServiceSpec> = {}): ServiceSpec {
  return { name: 'db', image: 'meshd/postgres:15', env: {}, replicas: 2, ports: [], labels: {}, ...fields }
}

const context = { nodeName: 'n1', name: 'meshd-n1-db-1-g2-abcd', network: { name: 'meshd-n1', gateway: '10.211.16.1' } }
const labels = (slot: number, source: string) => ({ 'meshd.node': 'n1', 'meshd.service': 'db', 'meshd.slot': String(slot), 'meshd.volume': source })

describe('volumeName', () => {
  it('joins node, service, source and slot with "_"', () => {
    expect(volumeName('n1', 'db', 'data', 0)).toBe('meshd-n1_db_data_0')
    expect(volumeName('node 1/x', 'db', 'data', 12)).toBe('meshd-node-1-x_db_data_12')
  })

  it('gives names that never meet, though service and source names hold "-"', () => {
    expect(volumeName('n', 'a-b', 'c', 0)).not.toBe(volumeName('n', 'a', 'b-c', 0))
    expect(volumeName('n-a', 'b', 'c', 0)).not.toBe(volumeName('n', 'a-b', 'c', 0))
  })

  it('is a valid Docker volume name at the longest and shortest names', () => {
    const longest = volumeName('n'.repeat(63), 'a'.repeat(63), '0'.repeat(63), 2 ** 32)
    expect(longest).toMatch(DOCKER_VOLUME_NAME)
    expect(longest.length).toBeLessThanOrEqual(255)
    expect(volumeName('a', 'b', '0', 0)).toMatch(DOCKER_VOLUME_NAME)
  })

  it.each([['db_x', 'data', 0], ['db', 'pg_data', 0], ['db', 'Data', 0], ['db', 'data', -1], ['db', 'data', 1.5]] as const)('refuses %j', (service, source, slot) => {
    expect(() => volumeName('n1', service, source, slot)).toThrow(RangeError)
  })
})

describe('a replica with volumes and tmpfs', () => {
  it('mounts its slot\'s volumes, labelled, and its tmpfs with their sizes', () => {
    const options = createOptions({ spec: spec({ volumes: [{ source: 'data', target: '/var/lib/postgresql/data' }, { source: 'seed', target: '/seed', readOnly: true }], tmpfs: [{ target: '/tmp' }, { target: '/cache', size: 64 * MiB }] }), slot: 1, generation: 2 }, context)
    expect(options.HostConfig?.Mounts).toStrictEqual([
      { Type: 'volume', Source: 'meshd-n1_db_data_1', Target: '/var/lib/postgresql/data', ReadOnly: false, VolumeOptions: { Labels: labels(1, 'data') } },
      { Type: 'volume', Source: 'meshd-n1_db_seed_1', Target: '/seed', ReadOnly: true, VolumeOptions: { Labels: labels(1, 'seed') } },
      { Type: 'tmpfs', Target: '/tmp' },
      { Type: 'tmpfs', Target: '/cache', TmpfsOptions: { SizeBytes: 64 * MiB } }
    ])
  })

  it('mounts its files too, first', () => {
    const files = [{ path: '/run/secrets/db-pass', data: Buffer.from('x'), mode: 0o400, uid: 999, gid: 999 }]
    const options = createOptions({ spec: spec({ volumes: [{ source: 'data', target: '/data' }] }), slot: 0, generation: 1, files }, { ...context, filesDir: '/dev/shm/meshd-n1/c' })
    expect(options.HostConfig?.Mounts?.map(mount => [mount.Type, mount.Target])).toStrictEqual([['bind', '/run/secrets/db-pass'], ['volume', '/data']])
  })

  it('is named S-N, unless that is no DNS label', () => {
    expect(createOptions({ spec: spec(), slot: 3, generation: 1 }, context).Hostname).toBe('db-3')
    expect(replicaHostname('a'.repeat(61), 9)).toBe(`${'a'.repeat(61)}-9`)
    expect(replicaHostname('a'.repeat(61), 10)).toBeUndefined()
    expect(createOptions({ spec: spec({ name: 'a'.repeat(63) }), slot: 0, generation: 1 }, context)).not.toHaveProperty('Hostname')
  })
})

describe('volumeInfo', () => {
  it('reads a replica volume\'s labels, and nothing else', () => {
    expect(volumeInfo('meshd-n1_db_data_1', labels(1, 'data'))).toStrictEqual({ name: 'meshd-n1_db_data_1', node: 'n1', service: 'db', slot: 1, source: 'data' })
    expect(volumeInfo('x', { ...labels(1, 'data'), 'meshd.slot': '1e3' })).toBeUndefined()
    expect(volumeInfo('x', { 'meshd.node': 'n1' })).toBeUndefined()
  })
})
