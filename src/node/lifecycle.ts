// One lifecycle for every long-lived part of a node (js-libp2p's Startable): start()
// and stop(), both safe to call twice. The daemon starts its parts in order and stops
// the started ones in reverse, also when a later part failed to start.

export interface Startable {
  start: () => Promise<void> | void
  stop: () => Promise<void> | void
}

/** Parts started in order and stopped in reverse. */
export class Lifecycle {
  private readonly started: Startable[] = []

  /** Starts a part and remembers it for stop(); returns the part. */
  async start<T extends Startable> (part: T): Promise<T> {
    await part.start()
    this.started.push(part)
    return part
  }

  /** Stops every started part, the last started first; stops them all even when one throws, then throws the first error. */
  async stop (): Promise<void> {
    let first: unknown
    for (const part of this.started.splice(0).reverse()) {
      try {
        await part.stop()
      } catch (err) {
        first ??= err
      }
    }
    if (first !== undefined) throw first
  }
}
