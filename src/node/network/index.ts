// This node's replica network on the host: the service addresses on its bridge.

export { BridgeAddresses, addressChanges } from './addresses.ts'
