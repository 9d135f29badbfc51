import { describe, expect, it } from 'vitest'
import { Forwarder } from '../../../src/node/dns/forwarder.ts'
import { fakeUpstream, query } from './helpers.ts'

describe('Forwarder', () => {
  it('answers "busy" at once beyond its pending cap, and "no upstream" without upstreams', async () => {
    const fake = await fakeUpstream('127.0.0.164', () => undefined)
    try {
      const forwarder = new Forwarder({ upstreams: [fake], timeoutMs: 300, maxPending: 1 })
      const question = { name: 'example.com', type: 'A' } as const
      const first = forwarder.forward(query('example.com'), question, { udp: true })
      const started = performance.now()
      expect(await forwarder.forward(query('example.com'), question, { udp: true })).toEqual({ failure: 'busy' })
      expect(performance.now() - started).toBeLessThan(50)
      expect(forwarder.pending).toBe(1)
      expect(await first).toEqual({ failure: 'unanswered' })
      expect(forwarder.pending).toBe(0)
      expect(await new Forwarder({ upstreams: [] }).forward(query('x.example'), question, { udp: true })).toEqual({ failure: 'no upstream' })
    } finally {
      await fake.close()
    }
  })

  it('sends the upstream a fresh id, not the client\'s', async () => {
    const fake = await fakeUpstream('127.0.0.164', () => undefined)
    try {
      const forwarder = new Forwarder({ upstreams: [fake], timeoutMs: 100 })
      for (let i = 0; i < 5; i++) await forwarder.forward(query('example.com', 'A', { id: 7 }), { name: 'example.com', type: 'A' }, { udp: true })
      expect(fake.received.map((r) => r.query.id).filter((id) => id !== 7).length).toBeGreaterThanOrEqual(4)
    } finally {
      await fake.close()
    }
  })
})
