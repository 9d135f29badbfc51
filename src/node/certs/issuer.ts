// One ACME order for one host (RFC 8555, HTTP-01) through acme-client: the account,
// the order, each authorization's challenge published (to the document, so whichever
// node the CA reaches answers it), the CA told to validate, the CSR sent for a fresh
// key, and the chain fetched. The caller holds the lease; a signal ends it between steps.

import { Agent } from 'node:https'
// A default import: rootCertificates is a getter, which the bundle's ES module of node:tls leaves out (scripts/build.ts).
import tls from 'node:tls'
import type * as AcmeClient from 'acme-client'
import type { AcmeSettings } from './types.ts'

// Loaded on the first issuance (with axios and its x509 code): a node with no TLS route,
// or no --acme-directory, never pays for it. It is CommonJS: its exports are the module's
// default, from src/ and from the bundle's chunk alike (a chunk has no named exports for it).
type Acme = (typeof AcmeClient)['default']
let loaded: Promise<Acme> | undefined
const acmeClient = async (): Promise<Acme> => await (loaded ??= import('acme-client').then((module) => module.default))

export interface IssueRequest {
  host: string
  settings: AcmeSettings
  /** The cluster's account key, PEM. */
  accountKey: string
  /** Publishes the key authorizations by token (resolves once written); called once, before the CA validates. */
  publish: (challenges: Record<string, string>) => Promise<void>
  signal: AbortSignal
}

/** The issued chain (PEM, leaf first) and its fresh private key (PEM). */
export interface Issued { certificate: string, keyPem: string }

let trustedCa: string | undefined

/**
 * acme-client sends every request through one axios instance: the extra CA (pebble's)
 * is trusted there, next to the system's roots. One per process (the flag is per node).
 */
function trustDirectoryCa (acme: Acme, ca: string | undefined): void {
  if (ca === undefined || ca === trustedCa) return
  trustedCa = ca
  acme.axios.defaults.httpsAgent = new Agent({ ca: [...tls.rootCertificates, ca], keepAlive: false })
}

/** A fresh account key (ECDSA P-256), PEM. */
export async function newAccountKey (): Promise<string> {
  return (await (await acmeClient()).crypto.createPrivateEcdsaKey()).toString()
}

/** Orders, validates and fetches a certificate for `request.host`; throws on any failure of the CA or the signal. */
export async function issue (request: IssueRequest): Promise<Issued> {
  const { host, settings, signal } = request
  const acme = await acmeClient()
  trustDirectoryCa(acme, settings.ca)
  const client = new acme.Client({ directoryUrl: settings.directory, accountKey: request.accountKey, backoffAttempts: 10, backoffMin: 1000, backoffMax: 10_000 })
  await client.createAccount({ termsOfServiceAgreed: true, ...(settings.email === undefined ? {} : { contact: [`mailto:${settings.email}`] }) })
  signal.throwIfAborted()
  const order = await client.createOrder({ identifiers: [{ type: 'dns', value: host }] })
  const pending = []
  const challenges: Record<string, string> = {}
  for (const authz of await client.getAuthorizations(order)) {
    if (authz.status === 'valid') continue
    const challenge = authz.challenges.find((c) => c.type === 'http-01')
    if (challenge === undefined) throw new Error(`the CA offers no http-01 challenge for ${authz.identifier.value}`)
    challenges[challenge.token] = await client.getChallengeKeyAuthorization(challenge)
    pending.push(challenge)
  }
  signal.throwIfAborted()
  if (pending.length > 0) await request.publish(challenges)
  for (const challenge of pending) {
    signal.throwIfAborted()
    await client.completeChallenge(challenge)
    await client.waitForValidStatus(challenge)
  }
  signal.throwIfAborted()
  const key = await acme.crypto.createPrivateEcdsaKey()
  const [, csr] = await acme.crypto.createCsr({ commonName: host, altNames: [host] }, key)
  const finalized = await client.finalizeOrder(order, csr)
  signal.throwIfAborted()
  const certificate = await client.getCertificate(finalized)
  return { certificate, keyPem: key.toString() }
}
