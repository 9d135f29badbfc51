// The ways a peer can show itself buggy or rogue. Parts throw a PeerFault for what a
// peer sent; the PeerGuard refuses that peer for it.

export const REFUSALS = ['oversize', 'malformed', 'flood', 'forged-beat'] as const

/** Why a peer was refused. */
export type Refusal = typeof REFUSALS[number]

/** Something a peer sent that no honest, working peer would: its sender is refused. */
export class PeerFault extends Error {
  override readonly name = 'PeerFault'
  readonly reason: Refusal

  constructor (reason: Refusal, message: string) {
    super(message)
    this.reason = reason
  }
}
