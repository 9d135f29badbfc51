// Who may call the API: cluster-wide tokens (their hashes in the document), roles and
// their permissions, and the audit log of writes and refusals.

export { generateToken, hashToken, TokenIndex } from './tokens.ts'
export type { Authentication } from './tokens.ts'
export { PERMISSIONS, refusalOf, seesSecrets, matches } from './roles.ts'
export type { Permission, Principal } from './roles.ts'
export { AuditLog, AUDIT_FILE } from './audit.ts'
export type { AuditEntry } from './audit.ts'
export * as constants from './constants.ts'
