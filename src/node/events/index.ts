// Cluster events: an in-process bus per node (the last RING_SIZE events in memory),
// emitted by the parts where things happen, served as Server-Sent Events merged from
// every member (GET /v1/events), each member reading the others' over an internal,
// member-authenticated route (GET /v1/internal/events).

export { EventBus } from './bus.ts'
export type { EventBusInit, EventListener } from './bus.ts'
export { EventService, memberEvent, memberPeers, parseFilter } from './service.ts'
export type { EventServiceInit, Following } from './service.ts'
export { ClusterFeed } from './feed.ts'
export type { FeedInit } from './feed.ts'
export { openMemberStream, parseLine, filterQuery } from './member-stream.ts'
export type { MemberPeer, MemberStreamHandlers } from './member-stream.ts'
export { Deduper, byTime, eventKey, mergeHistories } from './merge.ts'
export { Ring } from './ring.ts'
export { SseParser, sseComment, sseEvent, sseUnreachable, UNREACHABLE } from './sse.ts'
export type { SseFrame } from './sse.ts'
export { EVENT_KINDS, matches, noEvents } from './types.ts'
export type { EventFilter, EventInput, EventKind, Events, MeshEvent } from './types.ts'
export * as constants from './constants.ts'
