// Issue 19, acceptance 2, on 3 real nodes (127.0.0.216–218) with a real ACME CA (Debian's
// pebble) and a DNS server of the test's own: a TLS route gets a certificate issued once
// for the cluster, every node has the same one; the issuing node SIGKILLed during
// issuance → another node completes it.
//
// The kill lands mid-issuance honestly: the test's DNS server holds pebble's lookup of
// the host (pebble resolves it to validate HTTP-01, after the issuer has published its
// challenge and told the CA to validate) until the issuer is dead; then it answers with a
// survivor that is not the new issuer, which answers the new challenge from its own copy
// of the document.
// Every node's ingress answers HTTP-01 (/.well-known/acme-challenge/) from its own copy of
// the document, and serves the certificate on its HTTPS port. Ports 18800–18899.

import { connect } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCluster, waitForMembers } from '../../support/cluster.ts'
import type { ClusterNode } from '../../support/cluster.ts'
import { api, cleanupAll, IMAGE, killDaemon, waitFor } from '../../support/daemon.ts'
import { startDns } from '../../support/dns-answers.ts'
import type { DnsAnswers } from '../../support/dns-answers.ts'
import { startPebble } from '../../support/pebble.ts'
import type { Pebble } from '../../support/pebble.ts'

const HOSTS = ['127.0.0.216', '127.0.0.217', '127.0.0.218']
const PEBBLE_PORT = 18800 // and 18801, its management port
const DNS_PORT = 18802
const HTTP_PORT = 18810
const HTTPS_PORT = 18811

interface CertView { host: string, state: string, fingerprint?: string, source?: string, issuedBy?: string, issuer?: { node?: string, lease?: { node: string }, challenges?: Record<string, string>, lastError?: string } }

const certOf = async (node: ClusterNode, host: string): Promise<CertView | undefined> => {
  const answer = await api<CertView>(node.api, 'GET', `/v1/certs/${host}`).catch(() => undefined)
  return answer?.status === 200 ? answer.body : undefined
}

/** The one fingerprint every given node shows for `host` once valid, or undefined. */
const sameCertificate = async (nodes: ClusterNode[], host: string): Promise<CertView | undefined> => {
  const views = await Promise.all(nodes.map(async (node) => await certOf(node, host)))
  const first = views[0]
  if (first?.state !== 'valid' || first.fingerprint === undefined) return undefined
  return views.every((v) => v?.state === 'valid' && v.fingerprint === first.fingerprint && v.issuedBy === first.issuedBy) ? first : undefined
}

/** The fingerprint a node's ingress HTTPS serves for `servername`, verified against pebble's root. */
const servedFingerprint = async (address: string, servername: string, root: string): Promise<string> => await new Promise((resolve, reject) => {
  const socket = connect({ host: address, port: HTTPS_PORT, servername, ca: root }, () => {
    resolve(socket.getPeerX509Certificate()!.fingerprint256)
    socket.end()
  })
  socket.on('error', reject)
})

const webService = (name: string, host: string) => ({ name, image: IMAGE, replicas: 0, ports: [{ target: 80 }], ingress: [{ host, port: 80, tls: true }] })

describe('ACME certificates, issued once for the cluster', () => {
  let pebble: Pebble
  let dns: DnsAnswers
  let nodes: ClusterNode[] = []

  beforeAll(async () => {
    dns = await startDns(HOSTS[0]!, DNS_PORT)
    pebble = await startPebble({ host: HOSTS[0]!, port: PEBBLE_PORT, httpPort: HTTP_PORT, dns: `${HOSTS[0]}:${DNS_PORT}` })
    const acme = ['--acme-directory', pebble.directory, '--acme-email', 'ops@example.com', '--acme-ca-file', pebble.caFile]
    const ingress = ['--http-port', String(HTTP_PORT), '--https-port', String(HTTPS_PORT)]
    nodes = await startCluster('test-acme', HOSTS, () => [...acme, ...ingress])
    await waitForMembers(nodes[0]!, { 'test-acme-1': 'alive', 'test-acme-2': 'alive', 'test-acme-3': 'alive' })
  }, 90_000)

  afterAll(async () => {
    await cleanupAll()
    await pebble?.stop()
    await dns?.close()
  })

  it('issues a TLS route\'s certificate once, and every node has the same one', async () => {
    dns.set('one.test', [HOSTS[1]!])
    const started = Date.now()
    expect((await api(nodes[0]!.api, 'PUT', '/v1/services/one', webService('one', 'one.test'))).status).toBe(201)
    const cert = await waitFor(async () => await sameCertificate(nodes, 'one.test'), { timeoutMs: 60_000, intervalMs: 250, what: 'the same certificate for one.test on every node' })
    expect(cert.source).toBe('acme')
    console.log(`one.test: issued by ${cert.issuedBy} in ${Date.now() - started} ms, the same ${cert.fingerprint!.slice(0, 23)}… on 3 nodes`)
    expect((pebble.output().match(/Issued certificate serial/g) ?? []).length).toBe(1)
    // Every node believes every certificate and issuance record (trust/ screens peers' records).
    for (const node of nodes) {
      const { body } = await api<{ problems: Array<{ kind: string }> }>(node.api, 'GET', '/v1/problems')
      expect(body.problems.filter((p) => p.kind === 'certs' || p.kind === 'acme')).toEqual([])
    }
    // Every node's ingress serves that certificate.
    const root = await pebble.root()
    for (const node of nodes) expect(await servedFingerprint(node.host, 'one.test', root)).toBe(cert.fingerprint)
  }, 90_000)

  it('completes on another node when the issuing node is SIGKILLed during issuance', async () => {
    dns.hold('two.test')
    expect((await api(nodes[0]!.api, 'PUT', '/v1/services/two', webService('two', 'two.test'))).status).toBe(201)
    // The CA is validating: the issuer published its challenge and told the CA.
    await waitFor(() => dns.asked.includes('two.test') ? true : undefined, { timeoutMs: 60_000, what: 'pebble to look two.test up' })
    const during = await waitFor(async () => {
      for (const node of nodes) {
        const view = await certOf(node, 'two.test')
        if (view?.issuer?.lease !== undefined && view.issuer.challenges !== undefined) return view
      }
      return undefined
    }, { timeoutMs: 10_000, what: 'a lease and challenges for two.test' })
    const issuer = nodes.find((node) => node.name === during.issuer!.lease!.node)!
    expect(during.state).toBe('issuing')
    await killDaemon(issuer, 'SIGKILL')
    const killed = Date.now()
    const survivors = nodes.filter((node) => node !== issuer)
    // The next node by rendezvous takes the issuance over once the issuer is declared dead.
    const next = await waitFor(async () => {
      const view = await certOf(survivors[0]!, 'two.test')
      const holder = view?.issuer?.lease?.node
      return holder !== undefined && holder !== issuer.name ? holder : undefined
    }, { timeoutMs: 30_000, intervalMs: 100, what: 'another node to take the lease of two.test' })
    // The CA reaches the survivor that is not issuing: it answers from its own copy of the document.
    const answering = survivors.find((node) => node.name !== next)!
    dns.set('two.test', [answering.host])
    dns.release('two.test')
    const cert = await waitFor(async () => await sameCertificate(survivors, 'two.test'), { timeoutMs: 90_000, intervalMs: 250, what: 'the same certificate for two.test on both survivors' })
    expect(cert.issuedBy).toBe(next)
    console.log(`two.test: ${issuer.name} SIGKILLed while the CA validated; ${next} completed ${Date.now() - killed} ms later (the CA reached ${answering.name})`)
    expect(cert.issuedBy).not.toBe(issuer.name)
    // Both survivors' ingress serve it.
    const root = await pebble.root()
    for (const node of survivors) expect(await servedFingerprint(node.host, 'two.test', root)).toBe(cert.fingerprint)
  }, 150_000)
})
