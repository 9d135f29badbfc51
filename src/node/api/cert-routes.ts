// The routes of TLS certificates: PUT and DELETE by operators and admins (secrets:write:
// a certificate's key is a secret), GET by any token. A certificate given by hand is
// checked (certs/ checkCertificate: each refusal names the field) and its key sealed
// before it is written; no answer, error or log line ever holds the key.

import type { FastifyInstance } from 'fastify'
import type { AcmeAccountRecord, AcmeRecord, CertRecord } from '../../crdt/index.ts'
import { acmeOf, certView, certViews, checkCertificate, hostProblem, sealCertKey } from '../certs/index.ts'
import { MeshdError } from '../errors.ts'
import type { ApiInit } from './types.ts'

type HostParams = { host: string }

export function registerCertRoutes (app: FastifyInstance, init: ApiInit): void {
  const certs = (): Record<string, CertRecord> => init.certs?.certs() ?? init.document.certs()
  const acme = (): Record<string, AcmeRecord | AcmeAccountRecord> => init.certs?.acme() ?? init.document.acme()
  const write = { config: { permission: 'secrets:write' } } as const

  app.get('/v1/certs', async () => certViews(init.view(), certs(), acme()))

  app.get<{ Params: HostParams }>('/v1/certs/:host', async (req) => {
    const host = hostParam(req.params.host)
    const all = certs()
    const record = acmeOf(acme(), host)
    const view = certView(init.view(), host, all, record)
    if (all[host] === undefined && record === undefined && view.services.length === 0) throw new MeshdError('MESHD_CERT_NOT_FOUND', `no certificate for ${host}`, 'host')
    return view
  })

  app.put<{ Params: HostParams }>('/v1/certs/:host', write, async (req, reply) => {
    const host = hostParam(req.params.host)
    const body = req.body as { certificate?: unknown, key?: unknown } | null
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new MeshdError('MESHD_INVALID_SPEC', 'body: expected {"certificate": PEM, "key": PEM}', 'body')
    const extra = Object.keys(body).find((key) => key !== 'certificate' && key !== 'key')
    if (extra !== undefined) throw new MeshdError('MESHD_INVALID_SPEC', `${extra}: unknown field (expected certificate and key)`, extra)
    const now = Date.now()
    const checked = checkCertificate(host, body.certificate, body.key, now)
    if (init.secretsKey === undefined) throw new MeshdError('MESHD_INTERNAL', 'this node has no secrets key')
    const before = init.document.certs()[host]
    init.document.putCert(host, {
      certificate: checked.certificate, key: sealCertKey(init.secretsKey, host, checked.keyPem), notAfter: checked.notAfter,
      fingerprint: checked.fingerprint, source: 'manual', issuedBy: init.node.id, updatedAt: now
    })
    init.log.info({ host, fingerprint: checked.fingerprint, notAfter: new Date(checked.notAfter).toISOString(), by: req.principal?.name }, before === undefined ? 'certificate added' : 'certificate replaced')
    init.events?.bus.emit({ kind: 'cert.issued', host, fingerprint: checked.fingerprint, message: `certificate for ${host} added by hand (expires ${new Date(checked.notAfter).toISOString()})` })
    return await reply.status(before === undefined ? 201 : 200).send(certView(init.view(), host, init.document.certs(), acmeOf(init.document.acme(), host)))
  })

  app.delete<{ Params: HostParams }>('/v1/certs/:host', write, async (req) => {
    const host = hostParam(req.params.host)
    if (init.document.certs()[host] === undefined && acmeOf(init.document.acme(), host) === undefined) throw new MeshdError('MESHD_CERT_NOT_FOUND', `no certificate for ${host}`, 'host')
    init.document.deleteCert(host)
    init.log.info({ host, by: req.principal?.name }, 'certificate removed')
    return { removed: host }
  })
}

function hostParam (text: string): string {
  const host = text.toLowerCase()
  const problem = hostProblem(host)
  if (problem !== undefined) throw new MeshdError('MESHD_INVALID_SPEC', `host: ${problem}`, 'host')
  return host
}
