// Issue 19 on three real nodes: the HTTP ingress of every node routes by host and
// path to busybox replicas anywhere in the cluster (acceptance 1), passes WebSocket
// upgrades and X-Forwarded-For (3), and loses no request of a keep-alive loop during a
// rolling update (4); 503 without a healthy replica, 400 and 409 for bad or taken routes.

import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { Agent, request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, cleanupAll, containersOf, IMAGE, tokenOf, waitFor } from '../../support/daemon.ts'
import { startCluster, waitForMembers } from '../../support/cluster.ts'
import type { ClusterNode } from '../../support/cluster.ts'

const HOSTS = ['127.0.0.191', '127.0.0.192', '127.0.0.193']
const NAMES = ['test-ing-1', 'test-ing-2', 'test-ing-3']
const HTTP_PORT = 18900
const HTTPS_PORT = 18943

// A CGI that shows what the ingress added, and a WebSocket endpoint: the RFC 6455
// handshake (Sec-WebSocket-Accept computed in the shell), then every byte echoed.
const CGI = `#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
printf '%s|%s|%s|%s' "$HTTP_X_FORWARDED_FOR" "$HTTP_X_FORWARDED_PROTO" "$HTTP_X_FORWARDED_HOST" "$HTTP_X_REQUEST_ID"
`
// A CGI that answers after a second: requests in flight when its replica is killed.
const SLOW = `#!/bin/sh
sleep 1
printf 'Content-Type: text/plain\\r\\n\\r\\n'
printf slow
`
const WS = `#!/bin/sh
key=''
while IFS= read -r line; do
  line=$(printf '%s' "$line" | tr -d '\\r')
  [ -z "$line" ] && break
  case "$line" in [Ss]ec-[Ww]eb[Ss]ocket-[Kk]ey:*) key=$(printf '%s' "\${line#*:}" | tr -d ' ') ;; esac
done
accept=$(printf '%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11' "$key" | sha1sum | cut -d' ' -f1 | xxd -r -p | base64)
printf 'HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: %s\\r\\n\\r\\n' "$accept"
exec cat
`
const START = 'printf "%s" "$WS" > /ws.sh && chmod +x /ws.sh && mkdir -p /www/cgi-bin /www/api && printf "%s" "$CGI" > /www/cgi-bin/env && printf "%s" "$SLOW" > /www/cgi-bin/slow && chmod +x /www/cgi-bin/env /www/cgi-bin/slow' +
  ' && echo -n $V > /www/id && echo -n $V > /www/index.html && echo -n $V > /www/api/x && (nc -ll -p 8081 -e /ws.sh &) && exec httpd -f -p 8080 -h /www'

/** busybox httpd answering with $V, a CGI and a WebSocket echo; no published port: reached only through the ingress. */
function web (name: string, v: string, ingress: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    image: IMAGE,
    command: ['sh', '-c', START],
    env: { V: v, CGI, SLOW, WS },
    replicas: 3,
    ports: [{ target: 8080 }, { target: 8081 }],
    health: { type: 'tcp', port: 8080, interval: '200ms', retries: 2 },
    // What is under test is the ingress during a rollout, not health: a probe slowed by a busy machine must not roll it back.
    update: { parallelism: 1, order: 'start-first', monitor: '500ms', failureAction: 'continue' },
    ingress,
    ...extra
  }
}

interface Answer { status: number, body: string, headers: Record<string, string | string[] | undefined> }

/** One request to a node's ingress with a Host header. */
async function through (node: string, host: string, path: string, opts: { agent?: Agent, headers?: Record<string, string>, from?: string } = {}): Promise<Answer> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: node, port: HTTP_PORT, path, headers: { host, ...opts.headers }, agent: opts.agent ?? false, timeout: 5000, ...(opts.from === undefined ? {} : { localAddress: opts.from }) }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }) })
      res.on('error', reject)
    })
    req.on('timeout', () => { req.destroy(new Error('timeout')) })
    req.on('error', reject)
    req.end()
  })
}

/** curl --resolve HOST:PORT:NODE: the body. */
function curl (node: string, host: string, path: string): string {
  return execFileSync('curl', ['-sS', '--max-time', '5', '--resolve', `${host}:${HTTP_PORT}:${node}`, `http://${host}:${HTTP_PORT}${path}`], { encoding: 'utf8' })
}

describe('the HTTP ingress on three real nodes', () => {
  let nodes: ClusterNode[]
  const settled = async (name: string, v: string, generation: number): Promise<void> => {
    await waitFor(async () => {
      // Each check that does not hold throws what it saw: the timeout names the last one.
      const { body } = await api(nodes[0]!.api, 'GET', `/v1/services/${name}`)
      const replicas = (body.replicas ?? []) as Array<{ slot: number, node: string, state: string, generation: number }>
      const all = replicas.length === 3 && replicas.every((r) => r.state === 'healthy' && r.generation === generation)
      const done = body.rollout === undefined || body.rollout.phase === 'completed'
      if (!(all && done)) {
        throw new Error(`replicas ${JSON.stringify(replicas.map((r) => `${r.slot}@${r.node} ${r.state} g${r.generation}`))}, rollout ${JSON.stringify(body.rollout)}`)
      }
      const answers = await Promise.all(HOSTS.map(async (h) => await through(h, `${name}.test`, '/id').then((a) => `${a.status} ${a.body}`, (err: Error) => err.message)))
      if (answers.some((a) => a !== `200 ${v}`)) throw new Error(`ingress answers ${JSON.stringify(answers)}`)
      return true
    }, { timeoutMs: 90_000, intervalMs: 200, what: `${name} to serve ${v} from 3 healthy replicas of generation ${generation} through every ingress` })
  }

  beforeAll(async () => {
    nodes = await startCluster('test-ing', HOSTS, () => ['--http-port', String(HTTP_PORT), '--https-port', String(HTTPS_PORT)])
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, Object.fromEntries(NAMES.map((name) => [name, 'alive']))) }))
    expect((await api(nodes[0]!.api, 'PUT', '/v1/services/a', web('a', 'one', [{ host: 'A.test', port: 8080 }, { host: 'ws.test', port: 8081 }]))).status).toBe(201)
    expect((await api(nodes[1]!.api, 'PUT', '/v1/services/b', web('b', 'bee', [{ host: 'b.test', path: '/api/', port: 8080 }], { replicas: 1 }))).status).toBe(201)
    await settled('a', 'one', 1)
  }, 180_000)
  afterAll(cleanupAll)

  it('routes by host and path through every node (acceptance 1)', async () => {
    await waitFor(async () => (await through(HOSTS[2]!, 'b.test', '/api/x')).body === 'bee', { timeoutMs: 60_000, what: 'b behind the ingress' })
    for (const node of HOSTS) {
      expect(curl(node, 'a.test', '/')).toBe('one')
      expect(curl(node, 'b.test', '/api/x')).toBe('bee')
      const unknown = await through(node, 'nobody.test', '/x')
      expect(unknown.status).toBe(404)
      expect(unknown.body).toBe('no route for nobody.test/x\n')
      // b.test routes /api only: its other paths are no route either.
      expect((await through(node, 'b.test', '/apix')).status).toBe(404)
    }
  })

  it('passes X-Forwarded-For, -Proto, -Host and the request id (acceptance 3)', async () => {
    // The client connects from an address of its own, so that X-Forwarded-For shows it and not a node's.
    const client = '127.0.0.199'
    const answer = await through(HOSTS[1]!, 'a.test', '/cgi-bin/env', { from: client, headers: { 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'req-42' } })
    expect(answer.status).toBe(200)
    expect(answer.body).toBe(`203.0.113.9, ${client}|http|a.test|req-42`)
    expect(answer.headers['x-request-id']).toBe('req-42')
    const fresh = await through(HOSTS[0]!, 'a.test', '/cgi-bin/env', { from: client })
    expect(fresh.body.split('|')[0]).toBe(client)
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(fresh.body.split('|')[3]).toBe(fresh.headers['x-request-id'])
  })

  it('relays a WebSocket upgrade both ways (acceptance 3)', async () => {
    for (const node of HOSTS) {
      const key = 'dGhlIHNhbXBsZSBub25jZQ=='
      const { response, socket } = await new Promise<{ response: import('node:http').IncomingMessage, socket: import('node:net').Socket }>((resolve, reject) => {
        const req = request({ host: node, port: HTTP_PORT, path: '/chat', headers: { host: 'ws.test', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': key, 'sec-websocket-version': '13' } })
        req.on('upgrade', (res, sock) => { resolve({ response: res, socket: sock }) })
        req.on('response', (res) => { reject(new Error(`no upgrade: ${res.statusCode}`)) })
        req.on('error', reject)
        req.end()
      })
      expect(response.statusCode).toBe(101)
      expect(response.headers['sec-websocket-accept']).toBe(createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64'))
      const echoed = await new Promise<string>((resolve) => {
        let text = ''
        socket.on('data', (chunk: Buffer) => { text += chunk.toString(); if (text.includes('ping-2')) resolve(text) })
        socket.write('ping-1 ')
        setTimeout(() => socket.write('ping-2'), 100)
      })
      expect(echoed).toBe('ping-1 ping-2')
      socket.destroy()
    }
  })

  it('answers 503 with Retry-After for a service without a healthy replica', async () => {
    expect((await api(nodes[0]!.api, 'PUT', '/v1/services/idle', web('idle', 'zzz', [{ host: 'idle.test', port: 8080 }], { replicas: 0 }))).status).toBe(201)
    const answer = await waitFor(async () => { const a = await through(HOSTS[2]!, 'idle.test', '/'); return a.status === 404 ? undefined : a }, { what: 'idle.test routed' })
    expect(answer.status).toBe(503)
    expect(answer.headers['retry-after']).toBe('1')
    expect(answer.body).toBe('no healthy replica of service idle\n')
  })

  it('refuses a bad route (400 naming the field) and a taken one (409 naming the owner)', async () => {
    const put = async (ingress: unknown[]): Promise<{ status: number, body: any }> => await api(nodes[1]!.api, 'PUT', '/v1/services/c', web('c', 'c', ingress, { replicas: 0 }))
    for (const [ingress, path] of [
      [[{ host: 'bad_host.test', port: 8080 }], 'ingress[0].host'],
      [[{ host: 'c.test', path: 'api', port: 8080 }], 'ingress[0].path'],
      [[{ host: 'c.test', port: 8080 }, { host: 'c.test', port: 9999 }], 'ingress[1].port']
    ] as const) {
      const { status, body } = await put([...ingress])
      expect(status).toBe(400)
      expect(body.error.path).toBe(path)
    }
    const taken = await put([{ host: 'b.test', path: '/api', port: 8080 }])
    expect(taken.status).toBe(409)
    expect(taken.body.error.code).toBe('MESHD_INGRESS_TAKEN')
    expect(taken.body.error.message).toContain('service "b"')
    expect((await api(nodes[1]!.api, 'GET', '/v1/services/c')).status).toBe(404)
  })

  /** Keep-alive GET loops through every node's ingress (`perNode` each) until stopped. */
  const requestLoops = (path = '/id', perNode = 2) => {
    const agents = HOSTS.map(() => new Agent({ keepAlive: true, maxSockets: perNode }))
    let running = true
    let total = 0
    const failures: string[] = []
    const bodies = new Map<string, number>()
    const loops = HOSTS.flatMap((node, i) => Array.from({ length: perNode }, async () => {
      while (running) {
        const answer = await through(node, 'a.test', path, { agent: agents[i]! }).catch((err: Error) => ({ status: 0, body: err.message, headers: {} }))
        total++
        if (answer.status !== 200) failures.push(`${node}: ${answer.status} ${answer.body}`)
        else bodies.set(answer.body, (bodies.get(answer.body) ?? 0) + 1)
      }
    }))
    return {
      stop: async () => {
        running = false
        await Promise.all(loops)
        for (const agent of agents) agent.destroy()
        return { total, failures, bodies }
      }
    }
  }
  const retries = async (): Promise<number> => (await Promise.all(nodes.map(async (n) => (await api(n.api, 'GET', '/v1/mesh')).body.ingress.routes as Array<{ host: string, retries: number }>)))
    .flat().filter((r) => r.host === 'a.test').reduce((sum, r) => sum + r.retries, 0)

  it('loses no request of a keep-alive loop during a rolling update (acceptance 4)', async () => {
    const loop = requestLoops()
    const before = await retries()
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect((await api(nodes[2]!.api, 'PUT', '/v1/services/a', web('a', 'two', [{ host: 'a.test', port: 8080 }, { host: 'ws.test', port: 8081 }]))).status).toBe(200)
    await settled('a', 'two', 2)
    const { total, failures, bodies } = await loop.stop()
    console.log(`rolling update through the ingress: ${total} requests, ${failures.length} failed, ${await retries() - before} retried; bodies ${JSON.stringify(Object.fromEntries(bodies))}`)
    expect(failures).toEqual([])
    expect(bodies.get('one')).toBeGreaterThan(0)
    expect(bodies.get('two')).toBeGreaterThan(0)
  }, 150_000)

  it('loses no request when a replica is killed with requests in flight: they are sent to another', async () => {
    // Four slow requests at a time through each node: each node's balancing puts some on every replica.
    const loop = requestLoops('/cgi-bin/slow', 4)
    const before = await retries()
    await new Promise((resolve) => setTimeout(resolve, 1500))
    // The running replica of a on the second node (docker ps -a would list old generations' containers too).
    const { body: before2 } = await api(nodes[0]!.api, 'GET', '/v1/services/a')
    const victim = (before2.replicas as Array<{ node: string, state: string, container: string }>).find((r) => r.node === NAMES[1] && r.state === 'healthy')?.container
    expect(victim).toBeDefined()
    expect(containersOf(NAMES[1]!, 'a').some((id) => id.startsWith(victim!))).toBe(true)
    execFileSync('docker', ['kill', victim!], { stdio: 'ignore' })
    // Until the replica is replaced and healthy again everywhere (restart policy: any).
    await waitFor(async () => {
      const { body } = await api(nodes[0]!.api, 'GET', '/v1/services/a')
      return body.replicas?.length === 3 && body.replicas.every((r: { state: string, container: string }) => r.state === 'healthy' && r.container !== victim)
    }, { timeoutMs: 60_000, intervalMs: 200, what: 'a replaced replica of a, healthy' })
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const { total, failures } = await loop.stop()
    const retried = await retries() - before
    console.log(`replica killed under the ingress: ${total} requests, ${failures.length} failed, ${retried} retried`)
    expect(failures).toEqual([])
    expect(retried).toBeGreaterThan(0)
  }, 90_000)

  it('counts requests per route in GET /v1/mesh and /metrics', async () => {
    const { body } = await api(nodes[0]!.api, 'GET', '/v1/mesh')
    expect(body.ingress.listening).toEqual({ http: HTTP_PORT, https: HTTPS_PORT })
    const a = body.ingress.routes.find((r: { host: string, path: string }) => r.host === 'a.test' && r.path === '/')
    expect(a.requests['2xx']).toBeGreaterThan(0)
    expect(a.bytesOut).toBeGreaterThan(0)
    expect(body.ingress.unrouted).toBeGreaterThan(0)
    const metrics = await (await fetch(`${nodes[0]!.api}/metrics`, { headers: { authorization: `Bearer ${tokenOf(nodes[0]!)}` } })).text()
    expect(metrics).toMatch(/meshd_ingress_requests_total\{host="a\.test",path="\/",service="a",code="2xx"\} \d+/)
  })
})
