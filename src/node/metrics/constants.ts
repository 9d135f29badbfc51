// The numbers of a node's metrics and of the cluster's replica stats.

/** Upper bounds (s) of the reconcile-loop duration histogram: a quiet tick takes a millisecond, one that lists Docker far more. */
export const RECONCILE_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const

/** Where the kernel's cgroup filesystem is mounted. */
export const CGROUP_ROOT = '/sys/fs/cgroup'

/** A replica's CPU share is its CPU time over this much wall time (two reads of its cgroup). */
export const CPU_SAMPLE_MS = 250

/** A member that has not answered its replica stats within this is reported unreachable. */
export const MEMBER_STATS_TIMEOUT_MS = 3000

/** The most of a member's stats answer read. */
export const MEMBER_STATS_MAX_BYTES = 4 * 1024 * 1024

/** What /metrics answers with (Prometheus text format 0.0.4). */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** meshd_document_bytes is measured again at least this often, even when no write moved the state vector. */
export const DOCUMENT_SIZE_MAX_AGE_MS = 60_000
