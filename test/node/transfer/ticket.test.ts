// The transfer ticket: what a member signs, and every ticket the server must refuse.

import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { meshKeyOf } from '../../../src/node/mesh/index.ts'
import { secretsKeyOf } from '../../../src/node/stored/index.ts'
import { transferKeyOf, validResource } from '../../../src/node/transfer/index.ts'
import { checkTicket, issueTicket, ReplayGuard, TicketRefused } from '../../../src/node/transfer/ticket.ts'

const key = transferKeyOf(randomBytes(64))
const NOW = 1_700_000_000_000
const RESOURCE = 'volume/db/0/data'

function refusal (run: () => unknown): string {
  try {
    run()
  } catch (err) {
    expect(err).toBeInstanceOf(TicketRefused)
    return (err as Error).message
  }
  throw new Error('not refused')
}

describe('transfer tickets', () => {
  it('derives a key of its own from the cluster secret', () => {
    const secret = randomBytes(64)
    const transfer = transferKeyOf(secret)
    expect(transfer).toHaveLength(32)
    expect(transfer.equals(transferKeyOf(Buffer.from(secret)))).toBe(true)
    expect(transfer.equals(secretsKeyOf(secret))).toBe(false)
    expect(transfer.equals(meshKeyOf(secret))).toBe(false)
  })

  it('lets a member\'s ticket in once, with its node, resource and nonce', () => {
    const seen = new ReplayGuard()
    const { ticket, header } = issueTicket(key, 'pull', RESOURCE, 'node-2', NOW)
    const checked = checkTicket(key, header, 'pull', RESOURCE, seen, NOW + 1000)
    expect(checked).toEqual({ op: 'pull', resource: RESOURCE, node: 'node-2', at: NOW, nonce: ticket.nonce })
    expect(refusal(() => checkTicket(key, header, 'pull', RESOURCE, seen, NOW + 2000))).toBe('replayed ticket')
  })

  it('refuses a ticket signed with another key, or altered', () => {
    const seen = new ReplayGuard()
    const { header } = issueTicket(transferKeyOf(randomBytes(64)), 'pull', RESOURCE, 'node-2', NOW)
    expect(refusal(() => checkTicket(key, header, 'pull', RESOURCE, seen, NOW))).toMatch(/^bad signature/)
    const mine = issueTicket(key, 'pull', RESOURCE, 'node-2', NOW).header
    const [payload = '', mac = ''] = mine.split('.')
    const forged = Buffer.from(Buffer.from(payload, 'base64url').toString().replace('node-2', 'node-3')).toString('base64url')
    expect(refusal(() => checkTicket(key, `${forged}.${mac}`, 'pull', RESOURCE, seen, NOW))).toMatch(/^bad signature/)
    expect(refusal(() => checkTicket(key, `${payload}.${mac}.x`, 'pull', RESOURCE, seen, NOW))).toMatch(/^bad signature/)
    expect(refusal(() => checkTicket(key, undefined, 'pull', RESOURCE, seen, NOW))).toBe('no transfer ticket')
    expect(refusal(() => checkTicket(key, 'x'.repeat(3000), 'pull', RESOURCE, seen, NOW))).toBe('ticket too large')
  })

  it('refuses a stale or future ticket', () => {
    const seen = new ReplayGuard()
    const stale = issueTicket(key, 'pull', RESOURCE, 'node-2', NOW - 30_001).header
    expect(refusal(() => checkTicket(key, stale, 'pull', RESOURCE, seen, NOW))).toMatch(/^stale or future ticket/)
    const future = issueTicket(key, 'pull', RESOURCE, 'node-2', NOW + 30_001).header
    expect(refusal(() => checkTicket(key, future, 'pull', RESOURCE, seen, NOW))).toMatch(/^stale or future ticket/)
    const edge = issueTicket(key, 'pull', RESOURCE, 'node-2', NOW - 30_000).header
    expect(checkTicket(key, edge, 'pull', RESOURCE, seen, NOW).node).toBe('node-2')
  })

  it('refuses a ticket for another direction or another resource', () => {
    const seen = new ReplayGuard()
    const { header } = issueTicket(key, 'pull', RESOURCE, 'node-2', NOW)
    expect(refusal(() => checkTicket(key, header, 'push', RESOURCE, seen, NOW))).toBe('ticket is for a pull, not a push')
    expect(refusal(() => checkTicket(key, header, 'pull', 'volume/db/1/data', seen, NOW))).toBe('ticket is for another resource')
  })

  it.each([
    'volume', 'volume/', '/volume/x', 'volume//x', 'volume/../etc', 'volume/..', 'volume/.', 'Volume/x', '9v/x',
    'volume/a b', 'volume/a%2fb', 'volume/é', `volume/${'a'.repeat(129)}`, 'v/a/b/c/d/e/f/g/h', `volume/${'a/'.repeat(130)}a`
  ])('refuses the resource %j', (resource) => {
    expect(validResource(resource)).toBe(false)
    expect(refusal(() => checkTicket(key, 'x.y', 'pull', resource, new ReplayGuard(), NOW))).toBe('not a transfer resource')
    expect(() => issueTicket(key, 'pull', resource, 'node-2', NOW)).toThrow(/is not a transfer resource/)
  })

  it.each(['volume/db/0/data', 'backup/db.2024-01-01_00.tar', 'volume/a-b/0/x_y.z'])('accepts the resource %j', (resource) => {
    expect(validResource(resource)).toBe(true)
  })

  it('remembers nonces for the window only, and refuses new ones when full rather than forget one early', () => {
    const seen = new ReplayGuard(2)
    expect(seen.add('a', NOW)).toBe('new')
    expect(seen.add('b', NOW + 1)).toBe('new')
    expect(seen.add('c', NOW + 2)).toBe('full')
    expect(seen.add('a', NOW + 3)).toBe('seen')
    expect(seen.add('c', NOW + 60_000)).toBe('new')
    expect(seen.add('a', NOW + 60_000)).toBe('full')
    expect(seen.add('a', NOW + 60_001)).toBe('new')
  })
})
