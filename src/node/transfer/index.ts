// The node-to-node transfer channel: large archives (a replica's volume data, backups)
// pulled from or pushed to a member over its API server, authenticated by a ticket under
// the transfer key (derived from the cluster secret), encrypted and checksummed in frames.

export { transferKeyOf } from './key.ts'
export { TransferService } from './service.ts'
export type { OpenResource, TakeResource, TransferServiceInit } from './service.ts'
export { pull, push } from './client.ts'
export type { TransferInit, TransferPeer } from './client.ts'
export { TransferError, TRANSFER_ERRORS } from './errors.ts'
export type { TransferErrorCode } from './errors.ts'
export { validResource, issueTicket, checkTicket, ReplayGuard, TicketRefused } from './ticket.ts'
export * as constants from './constants.ts'
export { FrameSealer, FrameOpener } from './frames.ts'
