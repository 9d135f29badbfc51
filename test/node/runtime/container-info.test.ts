// What the runtime reads from the engine's answers about a container, as plain data: a
// replica on the node's replica network, and one from before replica networks.

import type Docker from 'dockerode'
import { describe, expect, it } from 'vitest'
import { fromInspect, fromListEntry } from '../../../src/node/runtime/container-info.ts'

const NETWORK = 'meshd-n1'
const HOST = '127.0.0.9'
const labels = { 'meshd.service': 'web', 'meshd.slot': '0', 'meshd.node': 'n1', 'meshd.generation': '2' }

function inspected (fields: { status?: string, exposed?: string[], networks?: Record<string, string>, bindings?: Record<string, Array<{ HostIp: string, HostPort: string }> | null> }): Docker.ContainerInspectInfo {
  const status = fields.status ?? 'running'
  return {
    Id: 'c1',
    Name: '/meshd-n1-web-0-g2-abcd',
    Config: { Labels: labels, ExposedPorts: Object.fromEntries((fields.exposed ?? []).map(key => [key, {}])) },
    State: { Status: status, ExitCode: status === 'exited' ? 3 : 0, OOMKilled: false, StartedAt: '2026-01-01T00:00:00Z' },
    NetworkSettings: {
      Ports: status === 'running' ? fields.bindings ?? {} : null,
      Networks: Object.fromEntries(Object.entries(fields.networks ?? {}).map(([name, IPAddress]) => [name, { IPAddress }]))
    }
  } as unknown as Docker.ContainerInspectInfo
}

function listed (fields: { state?: string, ports?: Docker.Port[], networks?: Record<string, string> }): Docker.ContainerInfo {
  return {
    Id: 'c1',
    Names: ['/meshd-n1-web-0-g2-abcd'],
    Labels: labels,
    State: fields.state ?? 'running',
    Status: fields.state === 'exited' ? 'Exited (3) 2 seconds ago' : 'Up 2 seconds',
    Ports: fields.ports ?? [],
    NetworkSettings: { Networks: Object.fromEntries(Object.entries(fields.networks ?? {}).map(([name, IPAddress]) => [name, { IPAddress }])) }
  } as unknown as Docker.ContainerInfo
}

describe('a replica on the replica network', () => {
  it('is served on its address there, one endpoint per exposed tcp port', () => {
    const info = fromInspect(inspected({ exposed: ['9090/tcp', '8080/tcp', '5353/udp'], networks: { [NETWORK]: '10.211.16.2' } }), HOST, NETWORK)
    expect(info).toMatchObject({ id: 'c1', name: 'meshd-n1-web-0-g2-abcd', service: 'web', slot: 0, generation: 2, node: 'n1', state: 'running', ip: '10.211.16.2' })
    expect(info?.ports).toEqual([{ target: 8080, endpoint: '10.211.16.2:8080' }, { target: 9090, endpoint: '10.211.16.2:9090' }])
  })

  it('reads the same from a list entry, which names exposed ports without a public port', () => {
    const entry = listed({
      ports: [{ PrivatePort: 9090, Type: 'tcp' }, { PrivatePort: 8080, Type: 'tcp' }, { PrivatePort: 5353, Type: 'udp' }] as Docker.Port[],
      networks: { [NETWORK]: '10.211.16.2' }
    })
    const info = fromListEntry(entry, HOST, NETWORK)
    expect(info).toMatchObject({ state: 'running', ip: '10.211.16.2' })
    expect(info?.ports).toEqual([{ target: 8080, endpoint: '10.211.16.2:8080' }, { target: 9090, endpoint: '10.211.16.2:9090' }])
  })

  it('has no address and no endpoint once it stopped', () => {
    const info = fromInspect(inspected({ status: 'exited', exposed: ['8080/tcp'], networks: { [NETWORK]: '' } }), HOST, NETWORK)
    expect(info).toMatchObject({ state: 'exited', exitCode: 3, ports: [] })
    expect(info).not.toHaveProperty('ip')
    const entry = fromListEntry(listed({ state: 'exited', ports: [{ PrivatePort: 8080, Type: 'tcp' }] as Docker.Port[], networks: { [NETWORK]: '' } }), HOST, NETWORK)
    expect(entry).toMatchObject({ state: 'exited', exitCode: 3, ports: [] })
    expect(entry).not.toHaveProperty('ip')
  })

  it('has no address while it is created but not started', () => {
    const info = fromInspect(inspected({ status: 'created', exposed: ['8080/tcp'], networks: { [NETWORK]: '10.211.16.2' } }), HOST, NETWORK)
    expect(info).toMatchObject({ state: 'created', ports: [] })
    expect(info).not.toHaveProperty('ip')
  })
})

describe('a container from before replica networks', () => {
  it('still reports the ports it published on the node\'s address, and no replica address', () => {
    const info = fromInspect(inspected({
      exposed: ['8080/tcp'],
      networks: { bridge: '172.17.0.5' },
      bindings: { '8080/tcp': [{ HostIp: HOST, HostPort: '32768' }] }
    }), HOST, NETWORK)
    expect(info?.ports).toEqual([{ target: 8080, endpoint: '127.0.0.9:32768' }])
    expect(info).not.toHaveProperty('ip')

    const entry = fromListEntry(listed({
      ports: [{ IP: HOST, PrivatePort: 8080, PublicPort: 32768, Type: 'tcp' }] as Docker.Port[],
      networks: { bridge: '172.17.0.5' }
    }), HOST, NETWORK)
    expect(entry?.ports).toEqual([{ target: 8080, endpoint: '127.0.0.9:32768' }])
    expect(entry).not.toHaveProperty('ip')
  })

  it('reads a wildcard binding as the node\'s address, and tolerates a container with no network at all', () => {
    const wildcard = fromInspect(inspected({ exposed: ['8080/tcp'], bindings: { '8080/tcp': [{ HostIp: '0.0.0.0', HostPort: '32768' }], '9090/tcp': null } }), HOST, NETWORK)
    expect(wildcard?.ports).toEqual([{ target: 8080, endpoint: '127.0.0.9:32768' }])
    const bare = { ...inspected({}), NetworkSettings: undefined } as unknown as Docker.ContainerInspectInfo
    expect(fromInspect(bare, HOST, NETWORK)).toMatchObject({ state: 'running', ports: [] })
  })
})

it('ignores containers without meshd labels', () => {
  expect(fromInspect({ ...inspected({}), Config: { Labels: {} } } as unknown as Docker.ContainerInspectInfo, HOST, NETWORK)).toBeUndefined()
  expect(fromListEntry({ ...listed({}), Labels: {} }, HOST, NETWORK)).toBeUndefined()
})
