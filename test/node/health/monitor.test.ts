// HealthMonitor against a local HTTP server whose answers the test controls. Intervals
// are short; assertions are about transitions and probe counts, never about timings.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HealthMonitor, type ResolvedHealth } from '../../../src/node/health/index.ts'
import type { ExecResult } from '../../../src/node/runtime/index.ts'
import { recordingLogger } from '../../support/logger.ts'
import { waitFor } from '../../support/wait.ts'

interface Target {
  status: number
  delayMs: number
  hits: number
  inFlight: number
  maxInFlight: number
}

let server: Server
let endpoint: string
let target: Target
const monitors: HealthMonitor[] = []

beforeEach(async () => {
  target = { status: 200, delayMs: 0, hits: 0, inFlight: 0, maxInFlight: 0 }
  server = createServer((_req, res) => {
    target.hits++
    target.inFlight++
    target.maxInFlight = Math.max(target.maxInFlight, target.inFlight)
    setTimeout(() => {
      target.inFlight--
      res.writeHead(target.status).end()
    }, target.delayMs)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterEach(async () => {
  for (const monitor of monitors.splice(0)) monitor.stop()
  server.closeAllConnections()
  await new Promise(resolve => server.close(resolve))
})

function check (overrides: Partial<ResolvedHealth> = {}): ResolvedHealth {
  return { type: 'http', port: 80, path: '/', cmd: [], intervalMs: 20, timeoutMs: 1000, retries: 3, startPeriodMs: 0, ...overrides }
}

function monitor (health: ResolvedHealth, exec?: (cmd: string[], timeoutMs: number) => Promise<ExecResult>): { changes: string[], details: string[], monitor: HealthMonitor } {
  const changes: string[] = []
  const details: string[] = []
  const created = new HealthMonitor({
    check: health,
    endpoint: port => port === 80 ? endpoint : undefined,
    exec: exec ?? (async () => ({ exitCode: 0, output: '' })),
    onChange: (state, detail) => {
      changes.push(state)
      details.push(detail)
    },
    log: recordingLogger()
  })
  monitors.push(created)
  return { changes, details, monitor: created }
}

async function hitsAtLeast (count: number): Promise<void> {
  await waitFor(() => target.hits >= count ? true : undefined, { timeoutMs: 5000, intervalMs: 25, what: `${count} probes` })
}

describe('HealthMonitor', () => {
  it('is healthy after the first success and reports it once', async () => {
    const { changes, monitor: m } = monitor(check({ intervalMs: 10_000 }))
    m.start()
    await waitFor(() => changes.length > 0 ? true : undefined, { timeoutMs: 2000, intervalMs: 25, what: 'healthy' })
    // The first probe runs at once, not after the 10 s interval.
    expect(changes).toEqual(['healthy'])
    expect(m.state).toBe('healthy')
  })

  it('reports only transitions while it keeps probing', async () => {
    const { changes, monitor: m } = monitor(check())
    m.start()
    await hitsAtLeast(6)
    expect(changes).toEqual(['healthy'])
  })

  it('turns unhealthy after `retries` consecutive failures and healthy again on success', async () => {
    const { changes, details, monitor: m } = monitor(check({ retries: 3 }))
    m.start()
    await waitFor(() => changes.length === 1 ? true : undefined, { timeoutMs: 2000, intervalMs: 25, what: 'healthy' })

    target.status = 500
    const hitsAtFailure = target.hits
    await waitFor(() => changes.length === 2 ? true : undefined, { timeoutMs: 5000, intervalMs: 25, what: 'unhealthy' })
    expect(changes).toEqual(['healthy', 'unhealthy'])
    expect(details[1]).toBe(`http GET ${endpoint}/: 500`)
    // Three failures; the first may be a probe the target received before its status
    // changed (probes never overlap, so at most one), hence two hits at least after it.
    expect(target.hits - hitsAtFailure).toBeGreaterThanOrEqual(2)

    target.status = 200
    await waitFor(() => changes.length === 3 ? true : undefined, { timeoutMs: 5000, intervalMs: 25, what: 'healthy again' })
    expect(changes).toEqual(['healthy', 'unhealthy', 'healthy'])
  })

  it('does not count failures during the start period, until the replica was healthy once', async () => {
    target.status = 503
    const { changes, monitor: m } = monitor(check({ retries: 1, startPeriodMs: 60_000 }))
    m.start()
    await hitsAtLeast(6)
    expect(changes).toEqual([])
    expect(m.state).toBe('starting')

    target.status = 200
    await waitFor(() => changes.length === 1 ? true : undefined, { timeoutMs: 2000, intervalMs: 25, what: 'healthy' })
    // Healthy once: the start period protects it no longer.
    target.status = 503
    await waitFor(() => changes.length === 2 ? true : undefined, { timeoutMs: 2000, intervalMs: 25, what: 'unhealthy' })
    expect(changes).toEqual(['healthy', 'unhealthy'])
  })

  it('turns unhealthy from the start when probes keep failing', async () => {
    target.status = 500
    const { changes, monitor: m } = monitor(check({ retries: 2 }))
    m.start()
    await waitFor(() => changes.length > 0 ? true : undefined, { timeoutMs: 5000, intervalMs: 25, what: 'unhealthy' })
    expect(changes).toEqual(['unhealthy'])
    expect(target.hits).toBeGreaterThanOrEqual(2)
  })

  it('never overlaps probes, even when a probe outlasts the interval', async () => {
    target.delayMs = 100
    const { monitor: m } = monitor(check({ intervalMs: 10 }))
    m.start()
    m.start()
    await hitsAtLeast(4)
    expect(target.maxInFlight).toBe(1)
  })

  it('stops probing on stop(), ignores a probe still in flight, and can start again', async () => {
    target.delayMs = 150
    const { changes, monitor: m } = monitor(check())
    m.start()
    await hitsAtLeast(1)
    m.stop()
    m.stop()
    await new Promise(resolve => setTimeout(resolve, 300))
    expect(changes).toEqual([])
    const hits = target.hits
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(target.hits).toBe(hits)

    target.delayMs = 0
    m.start()
    await waitFor(() => changes.length > 0 ? true : undefined, { timeoutMs: 2000, intervalMs: 25, what: 'healthy after restart' })
    expect(changes).toEqual(['healthy'])
  })

  it('fails a check whose port is not published', async () => {
    const { changes, details, monitor: m } = monitor(check({ type: 'tcp', port: 9999, retries: 1 }))
    m.start()
    await waitFor(() => changes.length > 0 ? true : undefined, { timeoutMs: 2000, intervalMs: 25, what: 'unhealthy' })
    expect(details).toEqual(['container port 9999 is not published'])
  })

  it('runs cmd checks through exec', async () => {
    let exitCode = 1
    const calls: Array<{ cmd: string[], timeoutMs: number }> = []
    const { changes, monitor: m } = monitor(check({ type: 'cmd', cmd: ['ready'], retries: 2, timeoutMs: 500 }), async (cmd, timeoutMs) => {
      calls.push({ cmd, timeoutMs })
      return { exitCode, output: '' }
    })
    m.start()
    await waitFor(() => changes.length > 0 ? true : undefined, { timeoutMs: 2000, intervalMs: 25, what: 'unhealthy' })
    exitCode = 0
    await waitFor(() => changes.length > 1 ? true : undefined, { timeoutMs: 2000, intervalMs: 25, what: 'healthy' })
    expect(changes).toEqual(['unhealthy', 'healthy'])
    expect(calls[0]).toEqual({ cmd: ['ready'], timeoutMs: 500 })
  })

  it('survives an onChange handler that throws', async () => {
    const log = recordingLogger()
    const m = new HealthMonitor({
      check: check(),
      endpoint: () => endpoint,
      exec: async () => ({ exitCode: 0, output: '' }),
      onChange: () => { throw new Error('boom') },
      log
    })
    monitors.push(m)
    m.start()
    await waitFor(() => log.entries.some(e => e.level === 'error') ? true : undefined, { timeoutMs: 2000, intervalMs: 25, what: 'the error log' })
    const hits = target.hits
    await hitsAtLeast(hits + 2)
  })
})
