// Roles and what they may do. Roles are additive, as Kubernetes' view/edit/admin:
// each includes the one before it. A deployer may be limited to some services.

import type { Role } from '../../crdt/index.ts'

// `cluster`: backing the cluster up (token hashes, encrypted secrets) and restoring it.
export const PERMISSIONS = ['read', 'services:write', 'nodes:write', 'secrets:write', 'volumes', 'alerts:write', 'tokens', 'audit', 'cluster'] as const
export type Permission = typeof PERMISSIONS[number]

const GRANTS: Record<Role, readonly Permission[]> = {
  viewer: ['read'],
  deployer: ['read', 'services:write'],
  operator: ['read', 'services:write', 'nodes:write', 'secrets:write', 'volumes', 'alerts:write'],
  admin: PERMISSIONS
}

/** Who made a request: the token's name and what it was given. */
export interface Principal {
  name: string
  role: Role
  /** Service name patterns a deployer is limited to ("web", "shop-*"); absent: every service. */
  services?: string[]
}

/** Why `principal` may not do `permission` (on `service`), or undefined when it may. */
export function refusalOf (principal: Principal, permission: Permission, service?: string): string | undefined {
  if (!GRANTS[principal.role].includes(permission)) {
    return `token "${principal.name}" has role ${principal.role}, which lacks the permission ${permission}`
  }
  if (permission === 'services:write' && service !== undefined && principal.services !== undefined &&
    !principal.services.some((pattern) => matches(pattern, service))) {
    return `token "${principal.name}" may change only the services ${principal.services.join(', ')}, not "${service}"`
  }
  return undefined
}

/** True when the role may read every field in clear (env values are redacted for viewers). */
export function seesSecrets (principal: Principal | undefined): boolean {
  return principal !== undefined && principal.role !== 'viewer'
}

/** A service name against a pattern where `*` stands for any characters. */
export function matches (pattern: string, name: string): boolean {
  const parts = pattern.split('*')
  if (parts.length === 1) return pattern === name
  const [first = '', ...rest] = parts
  const last = rest.pop() ?? ''
  if (!name.startsWith(first) || !name.endsWith(last) || name.length < first.length + last.length) return false
  let at = first.length
  for (const part of rest) {
    const found = name.indexOf(part, at)
    if (found < 0 || found + part.length > name.length - last.length) return false
    at = found + part.length
  }
  return true
}
