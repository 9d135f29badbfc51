// This node's replica network on the host: made or adopted at start, and the service
// addresses on its bridge.

export { BridgeAddresses, addressChanges } from './addresses.ts'
export { ReplicaNet } from './replica-net.ts'
export { ReplicaNames } from './names.ts'
export type { NamesInit } from './names.ts'
