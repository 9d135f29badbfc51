// Two nodes' certificate drivers over two replicas of the document, linked by hand, with
// the CA replaced by a function (the real CA is pebble, in test/integration/certs): only
// the rendezvous choice issues, under a lease; a holder cut off mid-issuance and declared
// dead is replaced by the other node, which completes; a failure backs off.

import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import type { AcmeRecord, NodeRecord, ServiceRecord } from '../../../src/crdt/index.ts'
import { clusterView, coordinatorOf } from '../../../src/node/cluster/index.ts'
import { CertDriver } from '../../../src/node/certs/index.ts'
import type { IssueRequest } from '../../../src/node/certs/index.ts'
import { secretsKeyOf } from '../../../src/node/stored/index.ts'
import { silent } from '../../support/logger.ts'
import { waitFor } from '../../support/wait.ts'
import { link } from '../../support/documents.ts'

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/certs/${name}`, import.meta.url), 'utf8')
const secretsKey = secretsKeyOf(Buffer.from('the cluster secret'))
const node = (name: string): NodeRecord => ({ name, host: '127.0.0.1', apiPort: 1, p2pPort: 2, labels: {}, draining: false, startedAt: 0 })
const drivers: CertDriver[] = []
const calls: string[] = []
const thumb = 'a'.repeat(43)

type Behaviour = 'hang' | 'issue' | 'fail'

function member (id: string, behaviour: { now: Behaviour }) {
  const document = new ClusterDocument({ log: silent })
  const dead = new Set<string>()
  const driver = new CertDriver({
    document, secretsKey, log: silent, tickMs: 30, settleMs: 20, leaseMs: 1500,
    view: () => clusterView(document.snapshot(), id, (other) => dead.has(other) ? 'dead' : 'alive', Date.now()),
    certs: () => document.certs(), acme: () => document.acme(),
    settings: { directory: 'https://ca.invalid/dir' },
    issue: async (request: IssueRequest) => {
      calls.push(`${id} ${request.host}`)
      await request.publish({ [`tok-${id}`]: `tok-${id}.${thumb}` })
      if (behaviour.now === 'fail') throw new Error('the CA said no')
      if (behaviour.now === 'hang') await new Promise((_resolve, reject) => { request.signal.addEventListener('abort', () => { reject(request.signal.reason) }) })
      return { certificate: fixture('a.crt'), keyPem: fixture('a.key') }
    }
  })
  drivers.push(driver)
  return { id, document, dead, driver }
}

async function cluster (behaviours: Record<'a' | 'b', { now: Behaviour }>) {
  const a = member('a', behaviours.a)
  const b = member('b', behaviours.b)
  await a.document.start()
  await b.document.start()
  for (const id of ['a', 'b']) a.document.putNode(id, node(id))
  a.document.putService('web', { spec: { name: 'web', ingress: [{ host: 'a.test', port: 80, tls: true }] }, generation: 1, createdAt: 0, updatedAt: 0 } as unknown as ServiceRecord)
  const cut = link(a.document, b.document)
  const chosen = coordinatorOf(clusterView(a.document.snapshot(), 'a', () => 'alive', Date.now()), 'cert:a.test') === 'a' ? a : b
  return { chosen, other: chosen === a ? b : a, cut }
}

afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.stop()
  calls.length = 0
})

describe('the certificate driver', () => {
  it('issues once, on the rendezvous choice, and records the chain with the key sealed', async () => {
    const { chosen, other } = await cluster({ a: { now: 'issue' }, b: { now: 'issue' } })
    chosen.driver.start()
    other.driver.start()
    const cert = await waitFor(() => other.document.certs()['a.test'], { timeoutMs: 5000 })
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(calls).toEqual([`${chosen.id} a.test`])
    expect(cert).toMatchObject({ source: 'acme', issuedBy: chosen.id })
    expect(JSON.stringify(other.document.certs())).not.toContain('PRIVATE KEY')
    expect(other.document.acme()['a.test']).toMatchObject({ attempts: 0 })
    expect((other.document.acme()['a.test'] as AcmeRecord).challenges).toBeUndefined()
  })

  it('lets the other node take over when the holder is cut off mid-issuance and declared dead', async () => {
    const behaviours = { a: { now: 'hang' as Behaviour }, b: { now: 'hang' as Behaviour } }
    const { chosen, other, cut } = await cluster(behaviours)
    behaviours[other.id as 'a' | 'b'].now = 'issue'
    chosen.driver.start()
    other.driver.start()
    // The challenge is in the other node's replica: whichever node the CA reaches answers it.
    await waitFor(() => (other.document.acme()['a.test'] as AcmeRecord | undefined)?.challenges?.[`tok-${chosen.id}`], { timeoutMs: 5000 })
    expect((other.document.acme()['a.test'] as AcmeRecord).lease?.node).toBe(chosen.id)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(calls).toEqual([`${chosen.id} a.test`]) // the lease holds: the other waits
    cut()
    other.dead.add(chosen.id)
    const cert = await waitFor(() => other.document.certs()['a.test'], { timeoutMs: 5000 })
    expect(cert.issuedBy).toBe(other.id)
    expect(calls).toEqual([`${chosen.id} a.test`, `${other.id} a.test`])
  })

  it('records a failure with its backoff, and does not try again before it', async () => {
    const { chosen, other } = await cluster({ a: { now: 'fail' }, b: { now: 'fail' } })
    chosen.driver.start()
    other.driver.start()
    const record = await waitFor(() => {
      const r = other.document.acme()['a.test'] as AcmeRecord | undefined
      return r?.lastError === undefined ? undefined : r
    }, { timeoutMs: 5000 })
    expect(record).toMatchObject({ attempts: 1, lastError: 'the CA said no' })
    expect(record.lease).toBeUndefined()
    expect(record.challenges).toBeUndefined()
    expect(record.nextAttemptAt! - record.updatedAt).toBe(10_000)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(calls).toHaveLength(1)
  })
})
