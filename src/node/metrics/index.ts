// This node's observability: GET /metrics (Prometheus text, read at scrape time from the
// node's state) and the cluster's replica stats behind `meshd top` (GET /v1/stats).

export { NodeMetrics } from './metrics.ts'
export { Buckets } from './buckets.ts'
export { documentSize } from './document-size.ts'
export { ReplicaStatsService } from './stats.ts'
export type { ClusterStats, ReplicaStats, StatsInit } from './stats.ts'
export type { MetricsSources, Scrape, ServiceSample, ReplicaSample } from './scrape.ts'
export { serviceSamples, memberCounts } from './scrape.ts'
export { isMemberSample } from './samples.ts'
export type { MemberSample } from './samples.ts'
export { readUsage } from './usage.ts'
export type { ReplicaUsage } from './usage.ts'
export * as constants from './constants.ts'
