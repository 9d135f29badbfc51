import { describe, expect, it } from 'vitest'
import { MeshdError } from '../../../src/node/errors.ts'
import { logResource, parseLogQuery, parseLogResource } from '../../../src/node/logs/query.ts'

const NOW = Date.parse('2026-12-03T11:00:00Z')

function refusal (query: unknown): { path?: string, message: string } {
  try {
    parseLogQuery(query, NOW)
  } catch (err) {
    expect(err).toBeInstanceOf(MeshdError)
    expect((err as MeshdError).status).toBe(400)
    return { path: (err as MeshdError).path, message: (err as MeshdError).message }
  }
  throw new Error('expected a refusal')
}

describe('parseLogQuery', () => {
  it('defaults to the whole log, not followed, without timestamps', () => {
    expect(parseLogQuery({}, NOW)).toEqual({ follow: false, timestamps: false })
    expect(parseLogQuery(undefined, NOW)).toEqual({ follow: false, timestamps: false })
  })

  it('reads flags, tail and the three forms of since', () => {
    expect(parseLogQuery({ follow: '1', timestamps: 'true', tail: '5', since: '10m' }, NOW)).toEqual({ follow: true, timestamps: true, tail: 5, since: NOW - 600_000 })
    expect(parseLogQuery({ follow: '0', tail: 'all' }, NOW)).toEqual({ follow: false, timestamps: false })
    expect(parseLogQuery({ since: '2026-12-03T10:00:00.5Z' }, NOW).since).toBe(Date.parse('2026-12-03T10:00:00.500Z'))
    expect(parseLogQuery({ since: '2026-12-03T12:00:00+01:00' }, NOW).since).toBe(Date.parse('2026-12-03T11:00:00Z'))
    expect(parseLogQuery({ since: '1764759600.25' }, NOW).since).toBe(1764759600250)
    expect(parseLogQuery({ since: '1h30m' }, NOW).since).toBe(NOW - 5_400_000)
    expect(parseLogQuery({ since: '1000000h' }, NOW).since).toBe(0)
    expect(parseLogQuery({ since: '1969-01-01T00:00:00Z' }, NOW).since).toBe(0)
  })

  it('names the field of a bad value', () => {
    expect(refusal({ tail: '-1' }).path).toBe('tail')
    expect(refusal({ tail: 'five' }).path).toBe('tail')
    expect(refusal({ tail: '100001' }).path).toBe('tail')
    expect(refusal({ since: 'yesterday' }).path).toBe('since')
    expect(refusal({ since: '2026-13-45T99:00:00Z' }).path).toBe('since')
    expect(refusal({ follow: 'yes' }).path).toBe('follow')
    expect(refusal({ timestamps: '2' }).path).toBe('timestamps')
    expect(refusal({ follow: ['1', '1'] }).path).toBe('follow')
    expect(refusal({ lines: '5' })).toEqual({ path: 'lines', message: expect.stringContaining('unknown query parameter') })
  })
})

describe('the resource a member is asked for', () => {
  it('carries the query there and back', () => {
    const query = { follow: true, timestamps: false, tail: 5, since: 1764759600250 }
    expect(logResource('web', query)).toBe('logs/web/1/5/1764759600250')
    expect(parseLogResource('logs/web/1/5/1764759600250')).toEqual({ service: 'web', query: { follow: true, timestamps: true, tail: 5, since: 1764759600250 } })
    expect(parseLogResource(logResource('web', { follow: false, timestamps: true }))).toEqual({ service: 'web', query: { follow: false, timestamps: true } })
  })

  it('refuses anything else', () => {
    for (const bad of ['logs/web', 'logs/web/2/5/0', 'logs/web/1/x/0', 'logs/web/1/5/-3', 'logs/web/1/5/0/x', 'volume/web/1/5/0', 'logs/web/1/999999/0']) {
      expect(parseLogResource(bad), bad).toBeUndefined()
    }
  })
})
