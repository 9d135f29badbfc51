import { execFile } from 'node:child_process'
import { request } from 'node:http'
import { promisify } from 'node:util'
import type { ServiceSpec } from '../../../src/crdt/types.ts'

const run = promisify(execFile)

export const IMAGE = 'meshd/busybox:latest'

/** Runs the docker CLI and returns its trimmed stdout. */
export async function docker (...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args)
  return stdout.trim()
}

/** Force-removes every container labelled meshd.node=<nodeName>, whatever state the test left them in, then the node's replica networks. */
export async function removeAll (nodeName: string): Promise<void> {
  const ids = (await docker('ps', '-aq', '--filter', `label=meshd.node=${nodeName}`)).split('\n').filter(Boolean)
  if (ids.length > 0) await docker('rm', '-f', ...ids)
  const networks = (await docker('network', 'ls', '-q', '--filter', `label=meshd.node=${nodeName}`, '--filter', 'label=meshd.network=replicas')).split('\n').filter(Boolean)
  if (networks.length > 0) await docker('network', 'rm', ...networks)
}

/** A busybox service serving /www on 8080 (published 18080). */
export function httpdSpec (overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name: 'web',
    image: IMAGE,
    command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
    env: {},
    replicas: 1,
    ports: [{ published: 18080, target: 8080 }],
    labels: {},
    ...overrides
  }
}

/** GETs path on "host:port", from that address itself when it is a loopback one; resolves status and body. */
export async function httpGet (endpoint: string, path = '/'): Promise<{ status: number, body: string }> {
  const [host, port] = endpoint.split(':')
  const localAddress = host?.startsWith('127.') === true ? { localAddress: host } : {}
  return await new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), path, agent: false, ...localAddress, timeout: 2000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
      res.on('error', reject)
    })
    req.on('timeout', () => { req.destroy(new Error('timeout')) })
    req.on('error', reject)
    req.end()
  })
}
