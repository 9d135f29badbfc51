// API tokens: 256 random bits, shown once; the document keeps only their SHA-256, so
// every node accepts every token and a revocation (deleting the entry) reaches every
// node as fast as any other write.

import { createHash, randomBytes } from 'node:crypto'
import type { ClusterDocument, TokenRecord } from '../../crdt/index.ts'
import { TOKEN_BYTES, TOKEN_PREFIX } from './constants.ts'
import type { Principal } from './roles.ts'

/** A new bearer token. */
export function generateToken (): string {
  return `${TOKEN_PREFIX}${randomBytes(TOKEN_BYTES).toString('base64url')}`
}

/** The hex SHA-256 the document keeps of a token. */
export function hashToken (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** Who a request is, or why it is nobody. */
export type Authentication = { principal: Principal } | { refused: string }

/** The document's tokens indexed by hash, kept current as the document changes. */
export class TokenIndex {
  private readonly document: ClusterDocument
  private readonly source: () => Record<string, TokenRecord>
  private byHash: Map<string, { name: string, record: TokenRecord }> | undefined

  /** `source` gives the tokens this node believes (the trusted view); the document says when they may have changed. */
  constructor (document: ClusterDocument, source: () => Record<string, TokenRecord> = () => document.tokens()) {
    this.document = document
    this.source = source
  }

  start (): void {
    this.document.on('change', this.onChange)
  }

  stop (): void {
    this.document.off('change', this.onChange)
    this.byHash = undefined
  }

  /** The principal of an Authorization header at `now`. */
  authenticate (authorization: string | undefined, now: number): Authentication {
    if (authorization === undefined || authorization === '') return { refused: 'authorization: a bearer token is required (MESHD_TOKEN, or --api-token)' }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
    if (match === null) return { refused: 'authorization: expected "Bearer TOKEN"' }
    const entry = this.index().get(hashToken(match[1]!))
    if (entry === undefined) return { refused: 'authorization: unknown or revoked token' }
    const { name, record } = entry
    if (record.expiresAt !== undefined && record.expiresAt <= now) return { refused: `authorization: token "${name}" expired at ${new Date(record.expiresAt).toISOString()}` }
    return { principal: { name, role: record.role, ...(record.services === undefined ? {} : { services: record.services }) } }
  }

  private index (): Map<string, { name: string, record: TokenRecord }> {
    this.byHash ??= new Map(Object.entries(this.source()).map(([name, record]) => [record.hash, { name, record }]))
    return this.byHash
  }

  // Removals and node records decide which token records are believed, too.
  private readonly onChange = (change: { tokens: boolean, nodes: boolean, removals: boolean }): void => {
    if (change.tokens || change.nodes || change.removals) this.byHash = undefined
  }
}
