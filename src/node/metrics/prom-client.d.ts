// prom-client's own modules, imported one by one so the daemon loads only what /metrics
// uses (metrics.ts); each module's export is the class its package re-exports.

declare module 'prom-client/lib/registry.js' {
  import type { Registry } from 'prom-client'
  const RegistryClass: typeof Registry
  export default RegistryClass
}

declare module 'prom-client/lib/gauge.js' {
  import type { Gauge } from 'prom-client'
  const GaugeClass: typeof Gauge
  export default GaugeClass
}

declare module 'prom-client/lib/counter.js' {
  import type { Counter } from 'prom-client'
  const CounterClass: typeof Counter
  export default CounterClass
}
