// GET /metrics of one node: prom-client's text format over a Registry of its own (never
// the global one, never default process metrics and their timer). prom-client is loaded
// on the first scrape, and only the parts used (~3 MB of RSS, against ~20 for the whole
// package with its cluster and push-gateway code): a node nobody scrapes carries none.

import type { Registry } from 'prom-client'
import { registerFamilies } from './families.ts'
import type { PromClasses } from './families.ts'
import { scrape } from './scrape.ts'
import type { MetricsSources, Scrape } from './scrape.ts'
import { METRICS_CONTENT_TYPE } from './constants.ts'

export class NodeMetrics {
  readonly contentType = METRICS_CONTENT_TYPE
  private readonly sources: MetricsSources
  private registry: Promise<Registry> | undefined
  private current: Scrape | undefined
  /** Scrapes run one at a time: the families read the one scrape in hand. */
  private queue: Promise<unknown> = Promise.resolve()

  constructor (sources: MetricsSources) {
    this.sources = sources
  }

  /** Every family as Prometheus text, read from the sources now. */
  async render (): Promise<string> {
    const turn = this.queue.then(async () => {
      const registry = await (this.registry ??= this.load())
      this.current = await scrape(this.sources)
      try {
        return await registry.metrics()
      } finally {
        this.current = undefined
      }
    })
    this.queue = turn.catch(() => {})
    return await turn
  }

  private async load (): Promise<Registry> {
    const [registry, gauge, counter] = await Promise.all([
      import('prom-client/lib/registry.js'), import('prom-client/lib/gauge.js'), import('prom-client/lib/counter.js')
    ])
    const prom: PromClasses = { Gauge: gauge.default, Counter: counter.default }
    const created = new registry.default()
    registerFamilies(prom, created, () => {
      if (this.current === undefined) throw new Error('a metric was read outside a scrape')
      return this.current
    })
    return created
  }
}
