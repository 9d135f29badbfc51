// A histogram's counts kept by hand, without prom-client loaded: one count per bound
// (not cumulative; the last is above every bound) and the sum. /metrics renders it.

export class Buckets {
  readonly bounds: readonly number[]
  readonly counts: number[]
  sum = 0

  constructor (bounds: readonly number[]) {
    this.bounds = bounds
    this.counts = new Array<number>(bounds.length + 1).fill(0)
  }

  /** Counts one value. */
  observe (value: number): void {
    let i = 0
    while (i < this.bounds.length && value > this.bounds[i]!) i++
    this.counts[i]!++
    this.sum += value
  }
}
