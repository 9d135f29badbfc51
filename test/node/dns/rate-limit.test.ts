import { decode } from 'dns-packet'
import { describe, expect, it } from 'vitest'
import { SourceLimiter } from '../../../src/node/dns/rate-limit.ts'
import type { Verdict } from '../../../src/node/dns/rate-limit.ts'
import { dnsServer } from '../../../src/node/dns/index.ts'
import { nameTable } from '../../../src/node/dns/table.ts'
import { messages, recordingLogger } from '../../support/logger.ts'
import { query, tcpAsk, udpAsk } from './helpers.ts'

const count = (verdicts: Verdict[]): Record<string, number> =>
  verdicts.reduce<Record<string, number>>((acc, v) => ({ ...acc, [v]: (acc[v] ?? 0) + 1 }), {})

describe('SourceLimiter', () => {
  it('answers a burst, then slips every second query over the rate and drops the rest', () => {
    const limiter = new SourceLimiter({ perSecond: 10, burst: 5, slip: 2 })
    const verdicts = Array.from({ length: 11 }, () => limiter.check('10.0.0.9', 0))
    expect(verdicts).toEqual(['answer', 'answer', 'answer', 'answer', 'answer', 'drop', 'slip', 'drop', 'slip', 'drop', 'slip'])
  })

  it('refills at its rate, never past the burst', () => {
    const limiter = new SourceLimiter({ perSecond: 10, burst: 5 })
    for (let i = 0; i < 5; i++) limiter.check('a', 0)
    expect(limiter.check('a', 0)).toBe('drop')
    expect(limiter.check('a', 100)).toBe('answer') // one token in 100 ms
    expect(limiter.check('a', 100)).not.toBe('answer')
    expect(count(Array.from({ length: 8 }, () => limiter.check('a', 60_000))).answer).toBe(5)
  })

  it('keeps each source to its own bucket', () => {
    const limiter = new SourceLimiter({ perSecond: 1, burst: 1 })
    expect(limiter.check('a', 0)).toBe('answer')
    expect(limiter.check('a', 0)).not.toBe('answer')
    expect(limiter.check('b', 0)).toBe('answer')
  })

  it('drops idle sources\' buckets when full of sources, and refuses new ones while all are busy', () => {
    const limiter = new SourceLimiter({ perSecond: 1, burst: 2, maxSources: 2 })
    limiter.check('a', 0)
    limiter.check('b', 0)
    expect(limiter.check('c', 0)).toBe('drop') // a and b are not refilled yet
    expect(limiter.tracked).toBe(2)
    expect(limiter.check('c', 1000)).toBe('answer') // a and b refilled: swept
    expect(limiter.tracked).toBe(1)
  })
})

describe('DnsServer rate limit', () => {
  it('limits UDP answers per source with slips, not other sources, not TCP, and warns once', async () => {
    const log = recordingLogger()
    const table = nameTable([{ service: 'db', address: '10.213.0.2', slots: [] }])
    const dns = dnsServer({ host: '127.0.0.168', port: 0, table: () => table, upstreams: [], log, rateLimit: { perSecond: 1, burst: 5 } })
    await dns.start()
    try {
      const at = dns.address()!
      const flood = Array.from({ length: 21 }, (_, i) => query('db', 'A', { id: i }))
      const responses = (await udpAsk(at, flood, { from: '127.0.0.169', waitMs: 300 })).map((r) => decode(r))
      const full = responses.filter((r) => !r.flag_tc)
      const slipped = responses.filter((r) => r.flag_tc)
      expect(full).toHaveLength(5)
      expect(full.every((r) => r.answers!.length === 1)).toBe(true)
      // 16 over the rate: every second one slips back empty, truncated; the others get nothing.
      expect(slipped).toHaveLength(8)
      expect(slipped.every((r) => r.answers!.length === 0)).toBe(true)
      expect(dns.stats().limited).toBe(16)
      // Slipped answers are no larger than the queries: nothing to amplify.
      expect(Math.max(...(await udpAsk(at, [query('db')], { from: '127.0.0.169', waitMs: 100 })).map((r) => r.length), 0)).toBeLessThanOrEqual(query('db').length)

      const other = await udpAsk(at, [query('db')], { from: '127.0.0.161' })
      expect(decode(other[0]!).answers).toHaveLength(1)
      const overTcp = await tcpAsk(at, [query('db'), query('db')])
      expect(overTcp.map((r) => decode(r).answers!.length)).toEqual([1, 1])
      expect(messages(log.entries, 'warn').filter((m) => m.includes('rate'))).toHaveLength(1)
    } finally {
      await dns.stop()
    }
  })
})
