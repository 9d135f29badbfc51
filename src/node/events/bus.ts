// A node's event bus: parts emit what happened; the bus stamps each event with this
// node's name, an increasing id and the time, keeps the last RING_SIZE in memory and
// hands each to the current listeners (the SSE streams). A listener that throws is
// logged and kept; emit never throws into the part that called it.

import type { Logger } from '../../logger.ts'
import { RING_SIZE } from './constants.ts'
import { Ring } from './ring.ts'
import { matches } from './types.ts'
import type { EventFilter, EventInput, Events, MeshEvent } from './types.ts'

export type EventListener = (event: MeshEvent) => void

export interface EventBusInit {
  /** This node's name, stamped on every event. */
  node: string
  log?: Logger
  /** How many events to keep (default RING_SIZE). */
  size?: number
  /** The clock (tests). */
  now?: () => number
}

export class EventBus implements Events {
  readonly node: string
  private readonly ring: Ring<MeshEvent>
  private readonly listeners = new Set<EventListener>()
  private readonly log: Logger | undefined
  private readonly now: () => number
  private lastId = 0

  constructor (init: EventBusInit) {
    this.node = init.node
    this.log = init.log
    this.now = init.now ?? Date.now
    this.ring = new Ring(init.size ?? RING_SIZE)
  }

  /** Records an event and hands it to every listener; returns it as stamped. */
  emit (input: EventInput): MeshEvent {
    const event: MeshEvent = { ...withoutUndefined(input), id: ++this.lastId, time: this.now(), node: this.node }
    this.ring.push(event)
    this.log?.debug({ event: event.kind, service: event.service, slot: event.slot, member: event.member }, event.message)
    for (const listener of [...this.listeners]) {
      try {
        listener(event)
      } catch (err) {
        this.log?.warn({ err: (err as Error).message }, 'event listener failed')
      }
    }
    return event
  }

  /** The kept events that pass `filter`, oldest first. */
  recent (filter: EventFilter = {}): MeshEvent[] {
    return this.ring.toArray().filter((event) => matches(event, filter))
  }

  /** Calls `listener` with every event from now on; returns the call that stops it. */
  subscribe (listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /** How many listeners are attached (streams open on this node). */
  get listening (): number { return this.listeners.size }
}

function withoutUndefined (input: EventInput): EventInput {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) if (value !== undefined) out[key] = value
  return out as EventInput
}
