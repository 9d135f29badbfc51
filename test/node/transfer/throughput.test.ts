// Measures (prints, never asserts: the machine is shared) a 200 MiB pull through the
// transfer channel over loopback, against the same bytes through a plain TCP socket.
// Seconds of both cores: it runs only when asked, so the parallel unit suite stays calm:
//   MESHD_BENCH=1 npx vitest run --project unit test/node/transfer/throughput.test.ts

import { randomBytes } from 'node:crypto'
import { connect, createServer } from 'node:net'
import type { Server } from 'node:net'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import Fastify from 'fastify'
import { afterAll, describe, expect, it } from 'vitest'
import { pull, TransferService, transferKeyOf } from '../../../src/node/transfer/index.ts'
import { silent } from '../../support/logger.ts'

const HOST = '127.0.0.206'
const MiB = 1024 * 1024
const SIZE = 200 * MiB
const chunk = randomBytes(MiB)

function source (): Readable {
  let left = SIZE
  return new Readable({
    highWaterMark: MiB,
    read () {
      if (left === 0) { this.push(null); return }
      left -= chunk.byteLength
      this.push(chunk)
    }
  })
}

function counter (): Writable & { bytes: number } {
  const sink = new Writable({ write (part: Buffer, _encoding, done) { sink.bytes += part.byteLength; done() } }) as Writable & { bytes: number }
  sink.bytes = 0
  return sink
}

const rate = (ms: number): string => `${(SIZE / MiB / (ms / 1000)).toFixed(0)} MiB/s (${ms.toFixed(0)} ms)`

describe.skipIf(process.env.MESHD_BENCH === undefined)('transfer throughput (printed)', () => {
  const key = transferKeyOf(randomBytes(64))
  const app = Fastify()
  let tcp: Server | undefined
  afterAll(async () => {
    await app.close()
    tcp?.close()
  })

  it('pulls 200 MiB, and sends the same bytes through a plain socket', async () => {
    const service = new TransferService({ key, self: 'node-1', log: silent })
    service.serve('volume', async () => source())
    // The bare routes (no front door: the ticket check is the route config's; here the channel alone is measured).
    app.addHook('onRequest', async (req) => {
      const refused = req.routeOptions.config.peer?.(req)
      if (refused !== undefined) throw new Error(refused)
    })
    service.register(app)
    await app.listen({ host: HOST, port: 17216 })

    let started = performance.now()
    const sink = counter()
    await pipeline(await pull({ host: HOST, port: 17216 }, 'volume/bench/0/data', { key, self: 'node-2', localAddress: HOST }), sink)
    const channel = performance.now() - started
    expect(sink.bytes).toBe(SIZE)

    const server = createServer((socket) => { void pipeline(source(), socket) })
    tcp = server
    await new Promise<void>((resolve) => { server.listen(17217, HOST, resolve) })
    started = performance.now()
    const plain = counter()
    await pipeline(connect({ host: HOST, port: 17217, localAddress: HOST }), plain)
    const raw = performance.now() - started
    expect(plain.bytes).toBe(SIZE)
    console.log(`200 MiB over loopback: transfer channel ${rate(channel)}; plain TCP ${rate(raw)}; ratio ${(channel / raw).toFixed(1)}×`)
  })
})
