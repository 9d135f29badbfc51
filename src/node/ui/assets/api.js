// The page's calls to this node's API, with the token from the login in the
// Authorization header. The event stream is read with fetch() for the same reason:
// EventSource cannot send a header, and a token in a URL would end up in logs and history.

import { sseParser } from './sse.js'

/** The API refused the token (401): the page asks for another. */
export class Unauthorized extends Error {}

/** GET path as JSON; throws Unauthorized on 401, an Error with the API's message otherwise. */
export async function getJson (token, path, signal) {
  const response = await fetch(path, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, cache: 'no-store', signal })
  const body = await response.json().catch(() => undefined)
  if (response.status === 401) throw new Unauthorized(body?.message ?? 'the token was refused')
  if (!response.ok) throw new Error(`${path}: ${body?.message ?? response.status}`)
  return body
}

/**
 * Follows GET /v1/events until signal aborts, calling onEvent(kind, event) for each; reconnects
 * after a break, asking for what it missed (since the last event's time; the caller drops repeats).
 * onStatus('live' | 'reconnecting' | 'unavailable', why?) tells how it goes.
 */
export async function followEvents (token, { onEvent, onStatus, signal }) {
  let since
  let wait = 1000
  while (!signal.aborted) {
    try {
      const query = since === undefined ? '' : `?since=${since}`
      const response = await fetch(`/v1/events${query}`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, cache: 'no-store', signal })
      if (response.status === 401) throw new Unauthorized('the token was refused')
      if (!response.ok || response.body === null) {
        onStatus('unavailable', `events: HTTP ${response.status}`)
        await pause(Math.max(wait, 10_000), signal)
        continue
      }
      onStatus('live')
      wait = 1000
      const feed = sseParser(({ type, data }) => {
        let event
        try { event = JSON.parse(data) } catch { return }
        if (typeof event?.time === 'number') since = Math.max(since ?? 0, event.time)
        onEvent(type, event)
      })
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        feed(value)
      }
      onStatus('reconnecting', 'the event stream ended')
    } catch (err) {
      if (err instanceof Unauthorized) throw err
      if (signal.aborted) return
      onStatus('reconnecting', err?.message ?? String(err))
    }
    await pause(wait, signal)
    wait = Math.min(wait * 2, 10_000)
  }
}

function pause (ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
  })
}
