// A Server-Sent Events parser for a fetch() stream (the page reads /v1/events with
// fetch, so it can send its token in the Authorization header: EventSource cannot).
// Pure: fed text as it arrives, it calls back once per complete event.

/** A function to feed text chunks to; calls onEvent({ type, data, id }) per event (comments skipped). */
export function sseParser (onEvent) {
  let buffer = ''
  let type = ''
  let data = []
  let id
  return (chunk) => {
    buffer += chunk
    const lines = buffer.split('\n')
    buffer = lines.pop() ?? ''
    for (const raw of lines) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
      if (line === '') {
        if (data.length > 0) onEvent({ type: type === '' ? 'message' : type, data: data.join('\n'), ...(id === undefined ? {} : { id }) })
        type = ''
        data = []
        continue
      }
      if (line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (field === 'event') type = value
      else if (field === 'data') data.push(value)
      else if (field === 'id') id = value
    }
  }
}
