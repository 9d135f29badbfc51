// `meshd service logs`: the lines of every replica of a service on every node, merged in
// time order, from any node; members that do not answer are reported, never waited on.

export { ClusterLogs } from './cluster.ts'
export type { ClusterLogsInit, LogTransfer } from './cluster.ts'
export { parseLogQuery } from './query.ts'
export { formatLogLine } from './format.ts'
export type { LogLine, LogQuery } from './types.ts'
export * as constants from './constants.ts'
