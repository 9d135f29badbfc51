// Posting a notification: JSON over http(s), from the node's own address, each attempt
// within WEBHOOK_TIMEOUT_MS, retried with doubling waits a bounded number of times. A 2xx
// answer is delivered; a 4xx other than 408/429 is not retried (the receiver refuses it).
// Redirects are not followed. The URL is never logged with its credentials.

import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import { WEBHOOK_ATTEMPTS, WEBHOOK_BACKOFF_MS, WEBHOOK_MAX_ANSWER_BYTES, WEBHOOK_TIMEOUT_MS } from './constants.ts'

export interface PostOptions {
  /** The address client sockets bind to. */
  localAddress?: string
  signal?: AbortSignal
  attempts?: number
  backoffMs?: number
  timeoutMs?: number
}

/** How a notice's delivery ended. */
export interface Delivery { ok: boolean, attempts: number, error?: string }

/** Posts `body` to `url` until it is accepted or the attempts run out. */
export async function postWebhook (url: string, body: unknown, options: PostOptions = {}): Promise<Delivery> {
  const attempts = options.attempts ?? WEBHOOK_ATTEMPTS
  const text = JSON.stringify(body)
  let error = ''
  for (let attempt = 1; attempt <= attempts; attempt++) {
    options.signal?.throwIfAborted()
    const answer = await postOnce(url, text, options).catch((err: Error) => ({ status: 0, error: err.message }))
    if (answer.status >= 200 && answer.status < 300) return { ok: true, attempts: attempt }
    error = answer.status === 0 ? answer.error ?? 'no answer' : `answered ${answer.status}`
    const retriable = answer.status === 0 || answer.status >= 500 || answer.status === 408 || answer.status === 429
    if (!retriable || attempt === attempts) return { ok: false, attempts: attempt, error }
    await sleep((options.backoffMs ?? WEBHOOK_BACKOFF_MS) * 2 ** (attempt - 1), undefined, options.signal === undefined ? {} : { signal: options.signal })
  }
  return { ok: false, attempts, error }
}

async function postOnce (url: string, text: string, options: PostOptions): Promise<{ status: number, error?: string }> {
  const target = new URL(url)
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest
  return await new Promise((resolve, reject) => {
    const req = request(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'user-agent': 'meshd-alerts' },
      timeout: options.timeoutMs ?? WEBHOOK_TIMEOUT_MS,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      ...(options.signal === undefined ? {} : { signal: options.signal })
    }, (res) => {
      let read = 0
      res.on('data', (chunk: Buffer) => { read += chunk.length; if (read > WEBHOOK_MAX_ANSWER_BYTES) res.destroy() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0 }) })
      res.on('close', () => { resolve({ status: res.statusCode ?? 0 }) })
      res.on('error', () => { resolve({ status: res.statusCode ?? 0 }) })
    })
    // The whole attempt, not only an idle socket, is bounded.
    const deadline = setTimeout(() => { req.destroy(new Error(`no answer within ${options.timeoutMs ?? WEBHOOK_TIMEOUT_MS} ms`)) }, options.timeoutMs ?? WEBHOOK_TIMEOUT_MS)
    req.on('timeout', () => { req.destroy(new Error('timed out')) })
    req.on('error', (err) => { clearTimeout(deadline); reject(err) })
    req.on('close', () => { clearTimeout(deadline) })
    req.end(text)
  })
}
