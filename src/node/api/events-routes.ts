// GET /v1/events: the cluster's events as Server-Sent Events (viewer token), merged
// from every member (events/feed.ts), a `: ping` comment every PING_MS; and
// GET /v1/internal/events: this node's own events as lines of JSON for a member, which
// authenticates with a transfer ticket in place of a token. A reader that leaves more
// than MAX_UNSENT_BYTES unread is cut off: a slow client never grows this node's memory.

import type { ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { constants as events, parseFilter, sseComment, sseEvent, sseUnreachable } from '../events/index.ts'
import type { EventService, Following } from '../events/index.ts'
import { constants as transfer } from '../transfer/index.ts'

/** Adds the event routes when the node has an event service. */
export function registerEventRoutes (app: FastifyInstance, service: EventService | undefined): void {
  if (service === undefined) return

  app.get<{ Querystring: Record<string, unknown> }>('/v1/events', { config: { stream: true }, exposeHeadRoute: false }, async (req, reply) => {
    const filter = parseFilter(req.query)
    service.admit('readers')
    stream(reply, 'text/event-stream; charset=utf-8', sseComment('ping'), (write) => service.follow(filter,
      (event) => { write(sseEvent(event)) },
      (node) => { write(sseUnreachable(node)) }))
  })

  const peer = (req: { headers: Record<string, unknown> }): string | undefined => service.checkMember(req.headers[transfer.TICKET_HEADER])
  app.get<{ Querystring: Record<string, unknown> }>(events.INTERNAL_ROUTE, { config: { peer }, exposeHeadRoute: false }, async (req, reply) => {
    const filter = parseFilter(req.query)
    service.admit('members')
    stream(reply, 'application/x-ndjson', '\n', (write) => service.own(filter, (event) => {
      write(`${JSON.stringify(event ?? { caughtUp: true })}\n`)
    }))
  })
}

/** Takes the response over and keeps it open: `follow` writes to it until the client leaves or falls too far behind. */
function stream (reply: FastifyReply, contentType: string, ping: string, follow: (write: (text: string) => void) => Following): void {
  reply.hijack()
  const res: ServerResponse = reply.raw
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache', 'x-accel-buffering': 'no' })
  res.flushHeaders()
  let following: Following | undefined
  let ended = false
  const end = (): void => {
    if (ended) return
    ended = true
    clearInterval(pings)
    following?.stop()
    res.destroy()
  }
  const write = (text: string): void => {
    if (ended) return
    if (res.writableLength > events.MAX_UNSENT_BYTES) {
      end()
      return
    }
    res.write(text)
  }
  const pings = setInterval(() => { write(ping) }, events.PING_MS)
  res.once('close', end)
  following = follow(write)
  if (ended) following.stop()
}
