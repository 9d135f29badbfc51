// The connect-latency histogram of the proxy's counters: one observation per upstream
// connect, counts per bound that add up to the connects, a sum in milliseconds.

import { afterAll, describe, expect, it } from 'vitest'
import { proxy, constants } from '../../src/proxy/index.ts'
import { PROXY_HOST, namer, request, shut, silent } from './helpers.ts'

const UPSTREAM = '127.0.0.109'
const UP_PORT = 19141
const PUBLISHED = 19040

describe('the proxy\'s connect latency', () => {
  const p = proxy({ host: PROXY_HOST, log: silent })
  const server = namer(UPSTREAM, UP_PORT)

  afterAll(async () => {
    await p.stop()
    await shut(await server)
  })

  it('counts each upstream connect once, in the bucket of its latency', async () => {
    await server
    await p.start()
    await p.update([{ service: 'timed', published: PUBLISHED, endpoints: [`${UPSTREAM}:${UP_PORT}`] }])
    for (let i = 0; i < 5; i++) expect(await request(PUBLISHED)).toBe(`${UPSTREAM}:${UP_PORT}`)
    const stats = p.stats().services.find((s) => s.service === 'timed')!
    expect(stats.connect.boundsMs).toEqual(constants.CONNECT_BUCKETS_MS)
    expect(stats.connect.counts).toHaveLength(constants.CONNECT_BUCKETS_MS.length + 1)
    expect(stats.connect.counts.reduce((a, b) => a + b, 0)).toBe(5)
    expect(stats.connections.total).toBe(5)
    expect(stats.connect.sumMs).toBeGreaterThan(0)
    expect(stats.connect.sumMs).toBeLessThan(5 * constants.CONNECT_TIMEOUT_MS)
  })
})
