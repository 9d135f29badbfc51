// A route that says holdMs keeps a new connection while it has no endpoint, and relays
// it once one arrives; past holdMs it is refused; the proxy lists the services waited for.

import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { proxy } from '../../src/proxy/index.ts'
import type { Proxy } from '../../src/proxy/index.ts'
import { namer, shut, silent, sleep } from './helpers.ts'

const HOST = '127.0.0.67'
let open: Proxy | undefined

afterEach(async () => { await open?.stop(); open = undefined })

function ask (port: number): Promise<{ text: string, ms: number }> {
  const began = Date.now()
  return new Promise((resolve, reject) => {
    const s = connect({ host: HOST, port })
    const chunks: Buffer[] = []
    s.on('data', (c: Buffer) => chunks.push(c))
    s.on('error', reject)
    s.on('close', () => { resolve({ text: Buffer.concat(chunks).toString(), ms: Date.now() - began }) })
  })
}

describe('holding a connection for a service at zero', () => {
  it('relays it once an endpoint arrives, and names the service meanwhile', async () => {
    open = proxy({ host: HOST, log: silent })
    await open.start()
    await open.update([{ service: 'idle', published: 46711, endpoints: [], holdMs: 5000 }])
    const answer = ask(46711)
    await sleep(300)
    expect(open.waiting().map((w) => w.service)).toEqual(['idle'])
    const upstream = await namer(HOST, 46712)
    try {
      await open.update([{ service: 'idle', published: 46711, endpoints: [`${HOST}:46712`], holdMs: 5000 }])
      const { text, ms } = await answer
      expect(text).toBe(`${HOST}:46712`)
      expect(ms).toBeGreaterThanOrEqual(250)
      expect(open.waiting()).toEqual([])
    } finally {
      await shut(upstream)
    }
  })

  it('refuses it after holdMs, and at once without holdMs', async () => {
    open = proxy({ host: HOST, log: silent })
    await open.start()
    await open.update([
      { service: 'idle', published: 46713, endpoints: [], holdMs: 400 },
      { service: 'plain', published: 46714, endpoints: [] }
    ])
    const held = await ask(46713)
    expect(held.text).toBe('')
    expect(held.ms).toBeGreaterThanOrEqual(350)
    expect((await ask(46714)).text).toBe('')
    expect(open.waiting()).toEqual([])
  })

  it('counts a client of this node in clients (a hop through the mesh port is not one)', async () => {
    open = proxy({ host: HOST, log: silent })
    await open.start()
    const upstream = await namer(HOST, 46716)
    try {
      await open.update([{ service: 'web', published: 46715, endpoints: [`${HOST}:46716`] }])
      await ask(46715)
      const web = open.stats().services.find((s) => s.service === 'web')!
      expect(web.clients.total).toBe(1)
      expect(web.connections.total).toBe(1)
    } finally {
      await shut(upstream)
    }
  })
})
