// A node's replica network on the real Docker Engine: made with meshd's layout, adopted,
// never moved under its containers, and reachable only from the node. Node names
// rt-test-net* keep these networks and containers apart from every other test; every one
// is removed after each test, even a failed one.
import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { networkInterfaces } from 'node:os'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { probeHttp, probeTcp } from '../../../src/node/health/index.ts'
import { dockerRuntime, ReplicaNetworkError, type ReplicaNetwork, type Runtime } from '../../../src/node/runtime/index.ts'
import { parseIpv4, poolSubnets, subnetsOverlap } from '../../../src/node/runtime/network-layout.ts'
import { recordingLogger } from '../../support/logger.ts'
import { waitFor } from '../../support/wait.ts'
import { docker, httpdSpec, httpGet, removeAll } from './support.ts'

const HOST = '127.0.0.52'
const NODES = ['rt-test-net', 'rt-test-net-2', 'rt-test-net-3', 'rt-test-net-4'] as const
const [NODE, SECOND, THIRD, FOURTH] = NODES

/** What a replica answers on its address, by an HTTP request over busybox nc run inside `from` (its wget crashes with -T). */
async function fetchFrom (runtime: Runtime, from: string, endpoint: string): Promise<{ exitCode: number, output: string }> {
  const [host, port] = endpoint.split(':')
  return await runtime.exec(from, ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${host ?? ''} ${port ?? ''}`], { timeoutMs: 8000 })
}

/** The command lines of docker-proxy processes forwarding to ip. */
async function proxiesTo (ip: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('pgrep', ['-af', 'docker-proxy']).catch(() => ({ stdout: '' }))
  return stdout.split('\n').filter(line => line.includes(`-container-ip ${ip} `))
}

function within (ip: string | undefined, subnet: string): boolean {
  return ip !== undefined && subnetsOverlap(`${ip}/32`, subnet)
}

interface InspectedNetwork { Id: string, Driver: string, Labels: Record<string, string>, Options: Record<string, string>, IPAM: { Config: Array<Record<string, string>> } }

async function inspectNetwork (name: string): Promise<InspectedNetwork> {
  return JSON.parse(await docker('network', 'inspect', '--format', '{{json .}}', name)) as InspectedNetwork
}

describe('a node\'s replica network', () => {
  const log = recordingLogger()
  const runtimes = new Map<string, Runtime>()
  let servers: Server[] = []
  const runtimeOf = (nodeName: string): Runtime => {
    const runtime = runtimes.get(nodeName) ?? dockerRuntime({ host: HOST, nodeName, log })
    runtimes.set(nodeName, runtime)
    return runtime
  }

  beforeAll(async () => { for (const node of NODES) await removeAll(node) })
  afterEach(async () => {
    await Promise.all(servers.map(async server => { await new Promise(resolve => server.close(resolve)) }))
    servers = []
    for (const node of NODES) await removeAll(node)
  })
  afterAll(async () => {
    for (const runtime of runtimes.values()) await runtime.stop()
    for (const node of NODES) await removeAll(node)
  })

  it('is a bridge labelled for the node: a /20 of the pool, containers in its first /22, no traffic between them, NAT out', async () => {
    const network = await runtimeOf(NODE).ensureNetwork()
    expect(network).toMatchObject({ name: 'meshd-rt-test-net', bridge: expect.stringMatching(/^msh[0-9a-f]{8}$/) as string })
    expect(poolSubnets(NODE)).toContain(network.subnet)
    const base = network.subnet.replace(/\.0\/20$/, '')
    expect(network.gateway).toBe(`${base}.1`)
    const inspected = await inspectNetwork(network.name)
    expect(inspected).toMatchObject({
      Id: network.id,
      Driver: 'bridge',
      Labels: { 'meshd.node': NODE, 'meshd.network': 'replicas' },
      Options: { 'com.docker.network.bridge.enable_icc': 'false', 'com.docker.network.bridge.name': network.bridge, 'com.docker.network.bridge.enable_ip_masquerade': 'true' }
    })
    expect(inspected.IPAM.Config).toEqual([{ Subnet: network.subnet, IPRange: network.subnet.replace(/\/20$/, '/22'), Gateway: network.gateway }])
    // The service range is what the IPRange leaves: from the next /22 up to the broadcast address - 1.
    const start = parseIpv4(network.subnet.replace(/\/20$/, '')) ?? 0
    expect(parseIpv4(network.serviceRange.first)).toBe(start + 1024)
    expect(parseIpv4(network.serviceRange.last)).toBe(start + 4096 - 2)
  })

  it('is adopted as it is on a second call, from another runtime of the node too, with or without its subnet', async () => {
    const first = await runtimeOf(NODE).ensureNetwork()
    expect(await runtimeOf(NODE).ensureNetwork()).toEqual(first)
    const again = dockerRuntime({ host: HOST, nodeName: NODE, log })
    try {
      expect(await again.ensureNetwork({ subnet: first.subnet })).toEqual(first)
    } finally {
      await again.stop()
    }
    expect((await docker('network', 'ls', '-q', '--filter', `label=meshd.node=${NODE}`)).split('\n')).toHaveLength(1)
  })

  it('is never moved to another subnet: asking for one names both, and leaves the network as it is', async () => {
    const network = await runtimeOf(NODE).ensureNetwork()
    const other = network.subnet === '10.199.0.0/20' ? '10.199.16.0/20' : '10.199.0.0/20'
    const err = await runtimeOf(NODE).ensureNetwork({ subnet: other }).catch((error: unknown) => error)
    expect(err).toBeInstanceOf(ReplicaNetworkError)
    expect((err as ReplicaNetworkError).code).toBe('subnet-mismatch')
    expect((err as Error).message).toContain(`is on ${network.subnet}, not on ${other} as asked`)
    expect((await inspectNetwork(network.name)).Id).toBe(network.id)
  })

  it('refuses an invalid subnet before asking the engine, and a subnet another network holds', async () => {
    const invalid = await runtimeOf(SECOND).ensureNetwork({ subnet: '10.199.17.0/20' }).catch((error: unknown) => error)
    expect(invalid).toMatchObject({ name: 'ReplicaNetworkError', code: 'invalid-subnet' })
    expect((invalid as Error).message).toMatch(/10\.199\.17\.0\/20 has host bits set/)
    expect(await docker('network', 'ls', '-q', '--filter', `label=meshd.node=${SECOND}`)).toBe('')

    const held = await runtimeOf(NODE).ensureNetwork()
    const taken = await runtimeOf(SECOND).ensureNetwork({ subnet: held.subnet }).catch((error: unknown) => error)
    expect(taken).toMatchObject({ name: 'ReplicaNetworkError', code: 'subnet-taken' })
    expect((taken as Error).message).toContain(`cannot use ${held.subnet}: it overlaps Docker network "meshd-rt-test-net"`)
  })

  it('gives other nodes other subnets, moving past a slot another network holds', async () => {
    const first = await runtimeOf(NODE).ensureNetwork()
    // The third node's first free slot is taken by the fourth's network, given that subnet
    // (free: the engine may hold networks of its own in the pool).
    const ids = (await docker('network', 'ls', '-q')).split('\n').filter(Boolean)
    const held = (await docker('network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{end}}', ...ids)).split(/\s+/).filter((s) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(s))
    const [slot, nextSlot] = poolSubnets(THIRD).filter((candidate) => !held.some((h) => subnetsOverlap(candidate, h)))
    const squatter = await runtimeOf(FOURTH).ensureNetwork({ subnet: slot! })
    expect(squatter.subnet).toBe(slot)
    const third = await runtimeOf(THIRD).ensureNetwork()
    const second = await runtimeOf(SECOND).ensureNetwork()
    expect(third.subnet).toBe(nextSlot)
    const subnets = [first, second, third, squatter].map(network => network.subnet)
    for (const [i, a] of subnets.entries()) for (const b of subnets.slice(i + 1)) expect(subnetsOverlap(a, b)).toBe(false)
    expect(new Set([first, second, third, squatter].map(network => network.bridge)).size).toBe(4)
  })

  it('gives a replica an address in its first /22, publishes nothing, lets the host reach it, and names the node as its resolver', async () => {
    const runtime = runtimeOf(NODE)
    const network = await runtime.ensureNetwork()
    const info = await runtime.run({ spec: httpdSpec({ health: { type: 'http', port: 8080 } }), slot: 0, generation: 1 })
    expect(within(info.ip, network.subnet.replace(/\/20$/, '/22'))).toBe(true)
    expect(info.ports).toEqual([{ target: 8080, endpoint: `${info.ip}:8080` }])

    // Nothing is published: no binding on any host address, loopback or not.
    expect(await docker('port', info.id)).toBe('')
    expect(await docker('inspect', '--format', '{{json .NetworkSettings.Ports}} {{json .HostConfig.PortBindings}}', info.id)).toBe('{"8080/tcp":null} null')
    // Docker's userland proxy is what would listen on 127.0.0.x for a published port.
    expect(await proxiesTo(info.ip ?? '')).toEqual([])

    const endpoint = `${info.ip}:8080`
    const response = await waitFor(async () => await httpGet(endpoint).catch(() => undefined), { timeoutMs: 5000, intervalMs: 25, what: 'httpd to answer' })
    expect(response).toEqual({ status: 200, body: 'hello from meshd\n' })
    // The node's health probes reach it as they are, from the host.
    expect(await probeHttp(endpoint, '/', 1000)).toEqual({ ok: true, detail: `http GET ${endpoint}/: 200` })
    expect((await probeTcp(endpoint, 1000)).ok).toBe(true)
    expect((await probeTcp(`${info.ip}:9090`, 1000)).ok).toBe(false)
    // The host's side of the bridge holds the gateway.
    expect(networkInterfaces()[network.bridge]?.map(address => address.address)).toContain(network.gateway)

    // Docker's embedded resolver answers in the container and forwards to the node's gateway.
    const resolv = (await runtime.exec(info.id, ['cat', '/etc/resolv.conf'])).output
    expect(resolv).toMatch(/^nameserver 127\.0\.0\.11$/m)
    expect(resolv).toMatch(/^search meshd$/m)
    expect(await docker('inspect', '--format', '{{json .HostConfig.Dns}} {{json .HostConfig.DnsSearch}}', info.id)).toBe(`["${network.gateway}"] ["meshd"]`)

    // list() reads the same address and endpoint as run() and inspect().
    expect(await runtime.list()).toMatchObject([{ id: info.id, ip: info.ip, ports: info.ports }])
    expect(await runtime.inspect(info.id)).toMatchObject({ ip: info.ip, ports: info.ports })
  })

  it('keeps replicas from reaching each other, while the host reaches both and both reach the node', async () => {
    const runtime = runtimeOf(NODE)
    const network = await runtime.ensureNetwork()
    const a = await runtime.run({ spec: httpdSpec(), slot: 0, generation: 1 })
    const b = await runtime.run({ spec: httpdSpec(), slot: 1, generation: 1 })
    for (const replica of [a, b]) {
      const answer = await waitFor(async () => await httpGet(`${replica.ip ?? ''}:8080`).catch(() => undefined), { timeoutMs: 5000, intervalMs: 25, what: 'httpd to answer' })
      expect(answer.body).toBe('hello from meshd\n')
    }
    // The node listens on its gateway (as its DNS server and mesh will): replicas reach it.
    const node = createServer((req, res) => { res.end('the node\n') })
    servers.push(node)
    await new Promise<void>(resolve => node.listen(0, network.gateway, resolve))
    const { port } = node.address() as { port: number }
    expect((await fetchFrom(runtime, a.id, `${network.gateway}:${port}`)).output).toContain('the node')
    expect((await fetchFrom(runtime, a.id, `${a.ip ?? ''}:8080`)).output).toContain('hello from meshd')

    for (const [from, to] of [[a, b], [b, a]] as const) {
      const attempt = await fetchFrom(runtime, from.id, `${to.ip ?? ''}:8080`)
      expect(attempt.exitCode).not.toBe(0)
      expect(attempt.output).not.toContain('hello from meshd')
    }
  })

  it('is removed on request (not while a replica is attached), and run() makes it again', async () => {
    const runtime = runtimeOf(NODE)
    const info = await runtime.run({ spec: httpdSpec(), slot: 0, generation: 1 })
    await expect(runtime.removeNetwork()).rejects.toThrow(/active endpoints/)
    await runtime.remove(info.id, { graceSeconds: 0 })
    await runtime.removeNetwork()
    expect(await docker('network', 'ls', '-q', '--filter', `label=meshd.node=${NODE}`)).toBe('')
    await runtime.removeNetwork()
    const again = await runtime.run({ spec: httpdSpec(), slot: 0, generation: 2 })
    const network: ReplicaNetwork = await runtime.ensureNetwork()
    expect(within(again.ip, network.subnet)).toBe(true)
  })
})
