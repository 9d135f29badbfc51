// Clients of the routing mesh for tests: one HTTP/1.0 GET per connection, and a loop of
// them that counts failures.

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
