// What every shared record carries: who wrote it, and their signature.

/**
 * Who wrote a record, and their signature (src/node/trust): the member's id and an
 * Ed25519 signature by its libp2p key over the record's scope, key and content. A
 * record that does not verify is ignored by every node.
 */
export interface Sealed {
  by?: string
  sig?: string
}
