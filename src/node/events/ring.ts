// A fixed-size buffer of the most recent items: pushing onto a full one drops the oldest.

export class Ring<T> {
  private readonly items: Array<T | undefined>
  private next = 0
  private count = 0
  readonly capacity: number

  constructor (capacity: number) {
    this.capacity = capacity
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity: ${capacity} is not a positive integer`)
    this.items = new Array<T | undefined>(capacity)
  }

  get size (): number { return this.count }

  /** Adds `item`, dropping the oldest when full. */
  push (item: T): void {
    this.items[this.next] = item
    this.next = (this.next + 1) % this.capacity
    this.count = Math.min(this.count + 1, this.capacity)
  }

  /** The items, oldest first. */
  toArray (): T[] {
    const start = (this.next - this.count + this.capacity) % this.capacity
    const out: T[] = []
    for (let i = 0; i < this.count; i++) out.push(this.items[(start + i) % this.capacity] as T)
    return out
  }
}
