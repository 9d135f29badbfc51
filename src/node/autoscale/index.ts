// The autoscaler: the loop that scales the autoscaled services this node coordinates,
// from the mesh's and the replicas' numbers gathered over the cluster.

export { Autoscaler } from './autoscaler.ts'
export type { AutoscalerInit } from './autoscaler.ts'
export { Figures, running } from './figures.ts'
export * as constants from './constants.ts'
