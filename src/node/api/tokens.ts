// The routes of tokens and the audit log (admin). A token is shown once, in the answer
// that creates it; the document keeps its hash.

import type { FastifyInstance } from 'fastify'
import type { TokenRecord } from '../../crdt/index.ts'
import { constants as auth, generateToken, hashToken } from '../auth/index.ts'
import { MeshdError } from '../errors.ts'
import { parseTokenRequest } from '../spec/index.ts'
import type { ApiInit } from './types.ts'

/** A token as GET /v1/tokens lists it: everything but the hash. */
export interface TokenView {
  name: string
  role: TokenRecord['role']
  services?: string[]
  expiresAt?: number
  expired: boolean
  createdAt: number
  createdBy: string
}

const admin = (permission: 'tokens' | 'audit') => ({ config: { permission } }) as const

export function registerTokenRoutes (app: FastifyInstance, init: ApiInit): void {
  const { document } = init

  app.post('/v1/tokens', admin('tokens'), async (req, reply) => {
    const request = parseTokenRequest(req.body)
    if (document.token(request.name) !== undefined) {
      throw new MeshdError('MESHD_TOKEN_EXISTS', `name: a token named "${request.name}" exists; remove it first or choose another name`, 'name')
    }
    const token = generateToken()
    const now = Date.now()
    const record: TokenRecord = {
      hash: hashToken(token),
      role: request.role,
      ...(request.services === undefined ? {} : { services: request.services }),
      ...(request.expiresInMs === undefined ? {} : { expiresAt: now + request.expiresInMs }),
      createdAt: now,
      createdBy: req.principal?.name ?? ''
    }
    document.putToken(request.name, record)
    init.log.info({ token: request.name, role: record.role, by: record.createdBy }, 'token created')
    return await reply.status(201).send({ ...tokenView(request.name, record, now), token })
  })

  app.get('/v1/tokens', admin('tokens'), async () => {
    const now = Date.now()
    return Object.entries(document.tokens()).map(([name, record]) => tokenView(name, record, now))
  })

  app.delete<{ Params: { name: string } }>('/v1/tokens/:name', admin('tokens'), async (req) => {
    const { name } = req.params
    const tokens = document.tokens()
    const record = tokens[name]
    if (record === undefined) throw new MeshdError('MESHD_TOKEN_NOT_FOUND', `token "${name}" not found`, 'name')
    const now = Date.now()
    const admins = Object.entries(tokens).filter(([, t]) => t.role === 'admin' && !(t.expiresAt !== undefined && t.expiresAt <= now))
    if (record.role === 'admin' && admins.length === 1 && admins[0]![0] === name) {
      throw new MeshdError('MESHD_LAST_ADMIN', `token "${name}" is the last admin token; create another admin token first`, 'name')
    }
    document.deleteToken(name)
    init.log.info({ token: name, by: req.principal?.name }, 'token revoked')
    return { deleted: name }
  })

  app.get<{ Querystring: { limit?: string } }>('/v1/audit', admin('audit'), async (req) => {
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit)
    if (!Number.isInteger(limit) || limit < 1 || limit > auth.AUDIT_MAX_LIMIT) {
      throw new MeshdError('MESHD_INVALID_SPEC', `limit: expected an integer between 1 and ${auth.AUDIT_MAX_LIMIT}, got ${JSON.stringify(req.query.limit)}`, 'limit')
    }
    return init.audit?.tail(limit) ?? []
  })
}

function tokenView (name: string, record: TokenRecord, now: number): TokenView {
  return {
    name,
    role: record.role,
    ...(record.services === undefined ? {} : { services: record.services }),
    ...(record.expiresAt === undefined ? {} : { expiresAt: record.expiresAt }),
    expired: record.expiresAt !== undefined && record.expiresAt <= now,
    createdAt: record.createdAt,
    createdBy: record.createdBy
  }
}
