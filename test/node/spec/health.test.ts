import { describe, expect, it } from 'vitest'
import { parseServiceSpec, resolveHealth } from '../../../src/node/spec/index.ts'

const parse = (fields: Record<string, unknown>) => parseServiceSpec({ name: 'web', image: 'nginx', ...fields })

describe('resolveHealth', () => {
  it('is undefined without a health check', () => {
    expect(resolveHealth(parse({}))).toBeUndefined()
  })

  it('fills in every default and takes the port from the first port', () => {
    const spec = parse({ ports: [{ published: 80, target: 8080 }, { published: 81, target: 9090 }], health: { type: 'http' } })
    expect(resolveHealth(spec)).toStrictEqual({
      type: 'http',
      port: 8080,
      path: '/',
      cmd: [],
      intervalMs: 1000,
      timeoutMs: 1000,
      retries: 3,
      startPeriodMs: 0
    })
  })

  it('keeps what the spec says, with durations in milliseconds', () => {
    const spec = parse({
      ports: [{ published: 80, target: 8080 }],
      health: { type: 'http', port: 9000, path: '/ready', interval: '1m30s', timeout: '1.5s', retries: 7, startPeriod: '250ms' }
    })
    expect(resolveHealth(spec)).toStrictEqual({
      type: 'http',
      port: 9000,
      path: '/ready',
      cmd: [],
      intervalMs: 90_000,
      timeoutMs: 1500,
      retries: 7,
      startPeriodMs: 250
    })
  })

  it('copies the command, and has no port when the service publishes none', () => {
    const spec = parse({ health: { type: 'cmd', cmd: ['true'] } })
    const health = resolveHealth(spec)
    expect(health).toStrictEqual({
      type: 'cmd', path: '/', cmd: ['true'], intervalMs: 1000, timeoutMs: 1000, retries: 3, startPeriodMs: 0
    })
    expect(health?.cmd).not.toBe(spec.health?.cmd)
  })
})
