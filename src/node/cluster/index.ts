// The cluster's decisions: pure functions of a ClusterView (a document snapshot, the
// failure detector's verdicts and a clock), computed alike on every node. No I/O, no
// clock of their own, no timers. The side-effecting parts of a node (reconciler,
// rollout driver, mesh, API) take a view and act on what these return.

export { clusterView, stateOf, notDead, replicaAt } from './view.ts'
export type { ClusterView } from './view.ts'
export { liveness } from './majority.ts'
export { placeCluster, placementService, avoiding, ownersOf, placedSlots } from './placement.ts'
export { assignmentOf, slotsOf, generationsOf } from './assignment.ts'
export type { DesiredSlot, NodeAssignment } from './assignment.ts'
export { awaitingHandoff } from './handoff.ts'
export { allowedToStart, moveParallelism } from './throttle.ts'
export { resolveUpdate, specOf, releaseOf, inProgress, desiredGeneration, newRollout, rollbackOf, coordinatorOf } from './rollout.ts'
export type { ResolvedUpdate } from './rollout.ts'
export { rolloutStep, coordinatedRollouts } from './rollout-step.ts'
export type { RolloutStep } from './rollout-step.ts'
export { meshRoutes, localTarget, localSources } from './routes.ts'
export type { LocalNetwork } from './routes.ts'
export { addressIndices, addressNames, nextAddressIndex, serviceAddresses, ipToInt, intToIp } from './addresses.ts'
export type { ServiceAddresses, ServiceRange } from './addresses.ts'
export { containerPart, recordVersion, specHash } from './spec-hash.ts'
export { avoidService, avoidedServices } from './avoid.ts'
export { memberViews } from './members.ts'
export { reapable, superseded } from './membership.ts'
export type { Removal } from './membership.ts'
export type { MemberView } from './members.ts'
export * from './constants.ts'
