// Roles are additive; a deployer may be limited to service name patterns.

import { describe, expect, it } from 'vitest'
import { matches, refusalOf, seesSecrets } from '../../../src/node/auth/index.ts'

describe('roles', () => {
  it('grants each role what the one before it has, and more', () => {
    const can = (role: 'viewer' | 'deployer' | 'operator' | 'admin') =>
      (['read', 'services:write', 'nodes:write', 'tokens', 'audit', 'cluster'] as const).map((p) => refusalOf({ name: 't', role }, p) === undefined)
    expect(can('viewer')).toEqual([true, false, false, false, false, false])
    expect(can('deployer')).toEqual([true, true, false, false, false, false])
    expect(can('operator')).toEqual([true, true, true, false, false, false])
    expect(can('admin')).toEqual([true, true, true, true, true, true])
  })

  it('names the role and the missing permission', () => {
    expect(refusalOf({ name: 'dash', role: 'viewer' }, 'services:write')).toBe('token "dash" has role viewer, which lacks the permission services:write')
  })

  it('limits a deployer to its service patterns', () => {
    const ci = { name: 'ci', role: 'deployer' as const, services: ['web*', 'api'] }
    expect(refusalOf(ci, 'services:write', 'web-2')).toBeUndefined()
    expect(refusalOf(ci, 'services:write', 'api')).toBeUndefined()
    expect(refusalOf(ci, 'services:write', 'db')).toContain('only the services web*, api')
    expect(refusalOf(ci, 'read', 'db')).toBeUndefined()
  })

  it('matches * against any characters', () => {
    expect([matches('web*', 'web'), matches('web*', 'web-2'), matches('*-db', 'shop-db'), matches('a*b*c', 'axxbyyc'), matches('a*b*c', 'acb'), matches('web', 'web-2')])
      .toEqual([true, true, true, true, false, false])
  })

  it('shows secrets to every role but viewer', () => {
    expect([seesSecrets(undefined), seesSecrets({ name: 'v', role: 'viewer' }), seesSecrets({ name: 'd', role: 'deployer' })]).toEqual([false, false, true])
  })
})
