// What this node believes about the cluster document: records sealed by the members
// allowed to write them (with their libp2p keys), of the right shape, from members
// that were not removed. Everything else is ignored and listed as a problem.

export { nodeSeal, SealChecker } from './seal.ts'
export { screen } from './screen.ts'
export type { AlertRecords, CertRecords, Problem, Screened, StoredRecords } from './screen.ts'
export { recordProblem } from './records.ts'
export type { RecordKind } from './records.ts'
export { Trust, sealLegacyRecords } from './trust.ts'
export type { ListedProblem } from './trust.ts'
