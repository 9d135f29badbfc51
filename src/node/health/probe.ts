import { request } from 'node:http'
import { connect, isIP } from 'node:net'
import type { ExecResult } from '../runtime/index.ts'
import { DETAIL_OUTPUT_CHARS, TCP_SETTLE_MS } from './constants.ts'
import { parseEndpoint } from './endpoint.ts'

/** The outcome of one probe; detail says why in words an operator can act on. */
export interface ProbeResult {
  ok: boolean
  detail: string
}

/** Runs a command in the replica's container (Runtime.exec bound to one container). */
export type ExecFn = (cmd: string[], timeoutMs: number) => Promise<ExecResult>

/** Opens a TCP connection to endpoint; ok when the peer accepts and does not hang up at once. Never throws. */
export async function probeTcp (endpoint: string, timeoutMs: number, opts: { signal?: AbortSignal } = {}): Promise<ProbeResult> {
  const target = parseEndpoint(endpoint)
  if (target === undefined) return { ok: false, detail: `tcp ${endpoint}: not a host:port endpoint` }
  const label = `tcp ${endpoint}`
  return await settle(label, timeoutMs, opts.signal, (finish) => {
    const socket = connect({ host: target.host, port: target.port, ...localAddressOf(target.host) })
    let connected = false
    let settled: NodeJS.Timeout | undefined
    socket.once('connect', () => {
      connected = true
      settled = setTimeout(() => { finish({ ok: true, detail: `${label}: connected` }) }, Math.min(TCP_SETTLE_MS, timeoutMs))
    })
    // A server that speaks first (SSH, SMTP, Redis' errors) is alive even if it then hangs up.
    socket.once('data', () => { finish({ ok: true, detail: `${label}: connected` }) })
    socket.once('close', () => {
      finish({ ok: false, detail: connected ? `${label}: connection closed right after connect (nothing listening behind the published port?)` : `${label}: connection closed` })
    })
    socket.once('error', (err: NodeJS.ErrnoException) => { finish({ ok: false, detail: `${label}: ${err.code ?? err.message}` }) })
    return {
      cleanup: () => {
        clearTimeout(settled)
        socket.destroy()
      },
      onTimeout: () => connected
        // It stayed open until the deadline: as alive as a TCP peer can look.
        ? { ok: true, detail: `${label}: connected` }
        : { ok: false, detail: `${label}: no connection within ${timeoutMs} ms` }
    }
  })
}

/** GETs path on endpoint; ok on a 2xx or 3xx status within timeoutMs. Never throws. */
export async function probeHttp (endpoint: string, path: string, timeoutMs: number, opts: { signal?: AbortSignal } = {}): Promise<ProbeResult> {
  const target = parseEndpoint(endpoint)
  const label = `http GET ${endpoint}${path}`
  if (target === undefined) return { ok: false, detail: `${label}: not a host:port endpoint` }
  return await settle(label, timeoutMs, opts.signal, (finish) => {
    // agent: false: one fresh connection per probe; a pooled socket could pass a dead replica.
    const req = request({
      host: target.host,
      port: target.port,
      path: path.startsWith('/') ? path : `/${path}`,
      method: 'GET',
      agent: false,
      headers: { connection: 'close', 'user-agent': 'meshd-health' },
      ...localAddressOf(target.host)
    })
    req.once('response', (res) => {
      res.resume()
      const status = res.statusCode ?? 0
      finish({ ok: status >= 200 && status < 400, detail: `${label}: ${status}` })
    })
    req.once('error', (err: NodeJS.ErrnoException) => { finish({ ok: false, detail: `${label}: ${err.code ?? err.message}` }) })
    req.end()
    return {
      cleanup: () => { req.destroy() },
      onTimeout: () => ({ ok: false, detail: `${label}: no answer within ${timeoutMs} ms` })
    }
  })
}

/** Runs cmd in the container; ok when it exits 0 within timeoutMs. Never throws. */
export async function probeCmd (exec: ExecFn, cmd: string[], timeoutMs: number, opts: { signal?: AbortSignal } = {}): Promise<ProbeResult> {
  const label = `cmd ${JSON.stringify(cmd)}`
  return await settle(label, timeoutMs, opts.signal, (finish) => {
    exec(cmd, timeoutMs).then(
      ({ exitCode, output }) => {
        const text = output.trim().slice(0, DETAIL_OUTPUT_CHARS)
        finish({ ok: exitCode === 0, detail: `${label}: exit ${exitCode}${text === '' ? '' : `: ${text}`}` })
      },
      (err: unknown) => { finish({ ok: false, detail: `${label}: ${err instanceof Error ? err.message : String(err)}` }) }
    )
    return {
      cleanup: () => {},
      onTimeout: () => ({ ok: false, detail: `${label}: no exit within ${timeoutMs} ms` })
    }
  })
}

interface Attempt {
  cleanup: () => void
  onTimeout: () => ProbeResult
}

// The shared shape of a probe: exactly one result, after a deadline or an abort at the latest,
// with every socket and timer released.
async function settle (label: string, timeoutMs: number, signal: AbortSignal | undefined, begin: (finish: (result: ProbeResult) => void) => Attempt): Promise<ProbeResult> {
  if (signal?.aborted === true) return { ok: false, detail: `${label}: aborted` }
  return await new Promise<ProbeResult>((resolve) => {
    let done = false
    let attempt: Attempt | undefined
    const finish = (result: ProbeResult): void => {
      if (done) return
      done = true
      clearTimeout(deadline)
      signal?.removeEventListener('abort', onAbort)
      attempt?.cleanup()
      resolve(result)
    }
    const onAbort = (): void => { finish({ ok: false, detail: `${label}: aborted` }) }
    const deadline = setTimeout(() => { finish(attempt?.onTimeout() ?? { ok: false, detail: `${label}: timed out` }) }, timeoutMs)
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      attempt = begin(finish)
      // begin may have finished synchronously, before attempt was assigned.
      if (done) attempt.cleanup()
    } catch (err) {
      finish({ ok: false, detail: `${label}: ${err instanceof Error ? err.message : String(err)}` })
    }
  })
}

// Probe traffic to a loopback endpoint leaves from that address, so it stays on that
// node's address (and an iptables partition between nodes applies to it too). A replica's
// address on its bridge is not the host's own: the kernel picks the bridge's address.
function localAddressOf (host: string): { localAddress?: string } {
  const loopback = (isIP(host) === 4 && host.startsWith('127.')) || host === '::1'
  return loopback ? { localAddress: host } : {}
}
