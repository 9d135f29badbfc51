// The transfer channel through a real API server (fastify behind the front door) on
// 127.0.0.206: pulls and pushes, refusals, handler failures, a body that outlives the
// request timeout, and backpressure end to end with a slow consumer.

import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { Readable, Writable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { pipeline } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import { buildApi } from '../../../src/node/api/index.ts'
import { generateToken, hashToken, TokenIndex } from '../../../src/node/auth/index.ts'
import { clusterView } from '../../../src/node/cluster/index.ts'
import { pull, push, TransferError, TransferService, transferKeyOf } from '../../../src/node/transfer/index.ts'
import { issueTicket } from '../../../src/node/transfer/ticket.ts'
import { recordingLogger, silent } from '../../support/logger.ts'

const HOST = '127.0.0.206'
const PORT = 17206
const MiB = 1024 * 1024
const secret = randomBytes(64)
const key = transferKeyOf(secret)
const peer = { host: HOST, port: PORT, name: 'node-1' }
const client = { key, self: 'node-2', localAddress: '127.0.0.207' }
const log = recordingLogger('transfer')

const document = new ClusterDocument({ log: silent })
const tokens = new TokenIndex(document)
const admin = generateToken()
const files = new Map<string, Buffer>()
const received = new Map<string, Buffer>()
const callers: string[] = []
const service = new TransferService({ key, self: 'node-1', log })
service.serve('volume', async (resource, from) => {
  callers.push(from)
  if (resource === 'volume/broken/0/data') throw new Error('disk on fire at /var/lib/secret/path')
  if (resource.startsWith('volume/big/')) return counted(Number(resource.split('/')[2]) * MiB, stats)
  if (resource === 'volume/fails/0/data') return failingAfter(3 * MiB)
  const file = files.get(resource)
  return file === undefined ? undefined : Readable.from([file])
})
service.accept('volume', async (resource, _from, body) => {
  if (resource.startsWith('volume/slow/')) {
    await pipeline(body, slowSink(stats))
    return
  }
  received.set(resource, await buffer(body))
})
const app = buildApi({
  host: HOST, port: PORT, node: { id: 'node-1', name: 'node-1' }, document,
  view: () => clusterView(document.snapshot(), 'node-1', () => 'alive', Date.now()),
  log: silent, tokens, transfer: service,
  front: { host: HOST, port: PORT, hostNames: [], allowOrigins: [], requestTimeoutMs: 1500 }
})
const remotes: string[] = []
app.addHook('onRequest', async (req) => { remotes.push(req.socket.remoteAddress ?? '') })

/** Bytes produced by a source and taken by a sink, and the most ever between them. */
const stats = { produced: 0, consumed: 0, maxInFlight: 0 }
function track (): void { stats.maxInFlight = Math.max(stats.maxInFlight, stats.produced - stats.consumed) }

/** `size` bytes, made only when read (so a missing backpressure would show as bytes in flight). */
function counted (size: number, into: typeof stats): Readable {
  const chunk = randomBytes(256 * 1024)
  let left = size
  return new Readable({
    read () {
      if (left === 0) { this.push(null); return }
      const part = chunk.subarray(0, Math.min(left, chunk.byteLength))
      left -= part.byteLength
      into.produced += part.byteLength
      track()
      this.push(part)
    }
  })
}

/** A consumer taking 256 KiB every 5 ms (≈ 50 MiB/s at best). */
function slowSink (into: typeof stats): Writable {
  return new Writable({
    highWaterMark: 64 * 1024,
    write (chunk: Buffer, _encoding, done) {
      into.consumed += chunk.byteLength
      track()
      setTimeout(done, chunk.byteLength >= 128 * 1024 ? 5 : 1)
    }
  })
}

function failingAfter (size: number): Readable {
  let sent = 0
  return new Readable({
    read () {
      if (sent >= size) { this.destroy(new Error('read error')); return }
      sent += MiB
      this.push(randomBytes(MiB))
    }
  })
}

/** A raw request to the transfer route (for what the client never sends). */
async function raw (method: 'GET' | 'PUT', path: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number, text: string }> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: HOST, port: PORT, method, path, headers, agent: false }, (res) => {
      void buffer(res).then((text) => { resolve({ status: res.statusCode ?? 0, text: text.toString() }) }, reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function rejection (promise: Promise<unknown>): Promise<TransferError> {
  const err = await promise.then(() => undefined, (e: unknown) => e)
  expect(err).toBeInstanceOf(TransferError)
  return err as TransferError
}

describe('the transfer channel through the API server', () => {
  beforeAll(async () => {
    tokens.start()
    document.putToken('root', { hash: hashToken(admin), role: 'admin', createdAt: 0, createdBy: 'test' })
    await app.listen({ host: HOST, port: PORT })
  })
  afterAll(async () => { await app.close() })

  it('pulls a resource, bound to the caller\'s own address, and names the caller to the handler', async () => {
    const plain = randomBytes(3 * MiB + 5)
    files.set('volume/db/0/data', plain)
    remotes.length = 0
    const body = await pull(peer, 'volume/db/0/data', client)
    expect((await buffer(body)).equals(plain)).toBe(true)
    expect(remotes).toEqual(['127.0.0.207'])
    expect(callers.at(-1)).toBe('node-2')
  })

  it('pushes a resource and returns what the peer received', async () => {
    const plain = randomBytes(2 * MiB + 1)
    const receipt = await push(peer, 'volume/db/1/data', Readable.from([plain]), client)
    expect(receipt.bytes).toBe(plain.byteLength)
    expect(received.get('volume/db/1/data')?.equals(plain)).toBe(true)
    const empty = await push(peer, 'volume/db/2/data', Readable.from([]), client)
    expect(empty.bytes).toBe(0)
    expect(received.get('volume/db/2/data')).toHaveLength(0)
  })

  it('answers 404 for a resource the node does not have, 500 with a short message for a failing handler', async () => {
    const missing = await rejection(pull(peer, 'volume/none/0/data', client))
    expect(missing).toMatchObject({ code: 'TRANSFER_NOT_FOUND', status: 404 })
    expect(missing.message).toBe('transfer of volume/none/0/data from node-1: the peer answered 404 (transfer: this node has no volume/none/0/data)')
    expect((await rejection(pull(peer, 'backup/db/0', client))).status).toBe(404)
    const broken = await rejection(pull(peer, 'volume/broken/0/data', client))
    expect(broken).toMatchObject({ code: 'TRANSFER_FAILED', status: 500 })
    expect(broken.message).not.toMatch(/fire|secret|at /)
    expect(log.errors.some((entry) => String((entry.obj as { err?: Error }).err?.message).includes('disk on fire'))).toBe(true)
  })

  it('ends a pull whose source fails midway in an error, never a short body', async () => {
    const body = await pull(peer, 'volume/fails/0/data', client)
    const err = await rejection(buffer(body))
    expect(err.code).toBe('TRANSFER_FAILED')
    expect(err.message).toMatch(/^transfer of volume\/fails\/0\/data from node-1: truncated: the connection broke before the last frame \(after \d+ bytes\)/)
  })

  it('refuses, with 401 and a short reason, no ticket, a token instead, another cluster\'s key, a replay, a bad resource', async () => {
    const path = '/v1/internal/transfer/volume/db/0/data'
    const host = { host: `${HOST}:${PORT}` }
    const none = await raw('GET', path, host)
    expect(none.status).toBe(401)
    expect(JSON.parse(none.text)).toEqual({ error: { code: 'MESHD_UNAUTHORIZED', message: 'transfer: no transfer ticket', path: 'authorization' } })
    expect((await raw('GET', path, { ...host, authorization: `Bearer ${admin}` })).status).toBe(401)
    const foreign = issueTicket(transferKeyOf(randomBytes(64)), 'pull', 'volume/db/0/data', 'node-9').header
    expect(JSON.parse((await raw('GET', path, { ...host, 'x-meshd-transfer': foreign })).text).error.message).toMatch(/^transfer: bad signature/)
    const mine = issueTicket(key, 'pull', 'volume/db/0/data', 'node-2').header
    expect((await raw('GET', path, { ...host, 'x-meshd-transfer': mine })).status).toBe(200)
    expect(JSON.parse((await raw('GET', path, { ...host, 'x-meshd-transfer': mine })).text).error.message).toBe('transfer: replayed ticket')
    const bad = await raw('GET', '/v1/internal/transfer/volume/%2E%2E/x', host)
    expect(JSON.parse(bad.text).error.message).toBe('transfer: not a transfer resource')
    const stale = issueTicket(key, 'pull', 'volume/db/0/data', 'node-2', Date.now() - 60_000).header
    expect(JSON.parse((await raw('GET', path, { ...host, 'x-meshd-transfer': stale })).text).error.message).toMatch(/^transfer: stale/)
    expect(await rejection(pull(peer, 'volume/db/0/data', { ...client, key: transferKeyOf(randomBytes(64)) }))).toMatchObject({ code: 'TRANSFER_REFUSED', status: 401 })
    // The token routes are as they were.
    expect((await raw('GET', '/v1/nodes', host)).status).toBe(401)
  })

  it('answers 400 to a pushed body that fails verification, and the handler sees the error', async () => {
    const { header } = issueTicket(key, 'push', 'volume/db/3/data', 'node-2')
    const answer = await raw('PUT', '/v1/internal/transfer/volume/db/3/data', { host: `${HOST}:${PORT}`, 'x-meshd-transfer': header, 'content-type': 'application/octet-stream' }, randomBytes(5000))
    expect(answer.status).toBe(400)
    expect(JSON.parse(answer.text).error).toMatchObject({ code: 'MESHD_TRANSFER_CORRUPT', message: expect.stringMatching(/^transfer of volume\/db\/3\/data from node-2: frame 0/) })
    expect(received.has('volume/db/3/data')).toBe(false)
  })

  it('lets a member\'s body stream past the request timeout, which still cuts anyone else\'s', async () => {
    const slow = new Readable({ read () {} })
    const pushed = push(peer, 'volume/db/4/data', slow, client)
    pushed.catch(() => {})
    for (let i = 0; i < 5; i++) {
      slow.push(randomBytes(1000))
      await new Promise((resolve) => setTimeout(resolve, 600))
    }
    slow.push(null)
    expect((await pushed).bytes).toBe(5000)
    const late = await new Promise<number>((resolve, reject) => {
      const req = request({ host: HOST, port: PORT, method: 'PUT', path: '/v1/services/web', agent: false, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', 'content-length': '100' } }, (res) => { resolve(res.statusCode ?? 0) })
      req.on('error', reject)
      req.write('{')
    })
    expect(late).toBe(408)
  })

  it.each(['pull', 'push'] as const)('%s: 50 MiB to a slow consumer holds a bounded amount in flight', async (way) => {
    Object.assign(stats, { produced: 0, consumed: 0, maxInFlight: 0 })
    const before = process.memoryUsage()
    if (way === 'pull') await pipeline(await pull(peer, 'volume/big/50/data', client), slowSink(stats))
    else await push(peer, 'volume/slow/50/data', counted(50 * MiB, stats), client)
    const after = process.memoryUsage()
    expect(stats.consumed).toBe(50 * MiB)
    console.log(`${way} 50 MiB, slow consumer: at most ${(stats.maxInFlight / MiB).toFixed(1)} MiB in flight; ` +
      `rss ${((after.rss - before.rss) / MiB).toFixed(1)} MiB, arrayBuffers ${((after.arrayBuffers - before.arrayBuffers) / MiB).toFixed(1)} MiB`)
    // Socket buffers on loopback, a frame on each side and the streams' high-water marks; never the archive.
    expect(stats.maxInFlight).toBeLessThan(24 * MiB)
  })
})
