// Clients of the routing mesh for tests: one HTTP/1.0 GET per connection, a loop of them
// that counts failures, and a paced load of new connections per second.

import { connect } from 'node:net'

export interface Answer { ok: boolean, body: string, error?: string }

/** One HTTP/1.0 GET on a fresh connection: whether it answered 200 within `timeoutMs` of silence, the body, or the error. */
export async function get (host: string, port: number, path: string, timeoutMs = 5000): Promise<Answer> {
  return await new Promise((resolve) => {
    const socket = connect({ host, port })
    const chunks: Buffer[] = []
    socket.setTimeout(timeoutMs, () => { socket.destroy(new Error('timeout')) })
    socket.on('connect', () => { socket.write(`GET ${path} HTTP/1.0\r\nHost: ${host}\r\n\r\n`) })
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', (err) => { resolve({ ok: false, body: '', error: err.message }) })
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString()
      const body = text.slice(text.indexOf('\r\n\r\n') + 4)
      resolve(/^HTTP\/1\.[01] 200/.test(text) ? { ok: true, body } : { ok: false, body, error: `answer: ${JSON.stringify(text.slice(0, 40))}` })
    })
  })
}

export interface LoopResult { total: number, failures: Array<{ at: number, error: string }>, bodies: Map<string, number>, perSecond: number }

/** GETs in `concurrency` loops until stopped: how many, which failed (and when), which bodies came back. */
export function requestLoop (host: string, port: number, path = '/id', concurrency = 1): { stop: () => Promise<LoopResult> } {
  let running = true
  let total = 0
  const started = Date.now()
  const failures: Array<{ at: number, error: string }> = []
  const bodies = new Map<string, number>()
  const loop = Promise.all(Array.from({ length: concurrency }, async () => {
    while (running) {
      const answer = await get(host, port, path)
      total++
      if (!answer.ok) failures.push({ at: Date.now(), error: answer.error ?? '' })
      else bodies.set(answer.body, (bodies.get(answer.body) ?? 0) + 1)
    }
  }))
  return {
    stop: async () => {
      running = false
      await loop
      return { total, failures, bodies, perSecond: Math.round(total / ((Date.now() - started) / 1000)) }
    }
  }
}

export interface PacedResult { sent: number, ok: number, perSecond: number, errors: Record<string, number>, failedAt: number[] }

/**
 * HTTP/1.0 GETs of `path` started at `perSecond`, each on a new connection (at most
 * `maxInFlight` in flight: GETs that wait up to 5 s for an overloaded server hold the rate
 * down once the cap is reached), until stopped. `onAnswer` sees each body that came back.
 */
export function pacedLoad (host: string, port: number, perSecond: number, path = '/id', onAnswer: (body: string) => void = () => {}, maxInFlight = 200, timeoutMs = 5000): { stop: () => Promise<PacedResult> } {
  const started = Date.now()
  let sent = 0
  let ok = 0
  const errors: Record<string, number> = {}
  /** When each failed GET was sent. */
  const failedAt: number[] = []
  const inFlight = new Set<Promise<void>>()
  const timer = setInterval(() => {
    const due = Math.floor((Date.now() - started) / 1000 * perSecond) - sent
    for (let i = 0; i < due && inFlight.size < maxInFlight; i++) {
      sent++
      const at = Date.now()
      const request: Promise<void> = get(host, port, path, timeoutMs).then((answer) => {
        if (answer.ok) { ok++; onAnswer(answer.body); return }
        errors[answer.error ?? '?'] = (errors[answer.error ?? '?'] ?? 0) + 1
        failedAt.push(at)
      }).finally(() => { inFlight.delete(request) })
      inFlight.add(request)
    }
  }, 10)
  return {
    stop: async () => {
      clearInterval(timer)
      const seconds = (Date.now() - started) / 1000
      await Promise.all(inFlight)
      return { sent, ok, perSecond: Math.round(sent / seconds), errors, failedAt }
    }
  }
}
