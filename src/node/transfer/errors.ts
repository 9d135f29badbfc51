// What can go wrong with a transfer, as codes a caller can branch on (never a regex over
// a message). Each message starts with the transfer it is about:
// "transfer of volume/db/0/data from 127.0.0.2:7700: checksum mismatch".

export const TRANSFER_ERRORS = {
  /** The body failed verification: a frame that does not authenticate (tampered, dropped, reordered, another key), a wrong length or checksum, a missing last frame. */
  TRANSFER_CORRUPT: 'the body failed verification',
  /** The peer refused the ticket (401) or the request (403). */
  TRANSFER_REFUSED: 'the peer refused the request',
  /** The peer has no such resource (404). */
  TRANSFER_NOT_FOUND: 'the peer has no such resource',
  /** The connection failed, stalled or closed, or the peer answered another error. */
  TRANSFER_FAILED: 'the transfer failed'
} as const

export type TransferErrorCode = keyof typeof TRANSFER_ERRORS

/** A failed transfer; `status` is the peer's HTTP status when it answered one. */
export class TransferError extends Error {
  override readonly name = 'TransferError'
  readonly code: TransferErrorCode
  readonly status?: number

  constructor (code: TransferErrorCode, message: string, options: { status?: number, cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    if (options.status !== undefined) this.status = options.status
  }
}
