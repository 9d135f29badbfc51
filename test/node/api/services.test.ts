// Service writes: ports that would break the cluster or the machine are refused.

import { describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import type { ServiceSpec } from '../../../src/crdt/index.ts'
import { writeService } from '../../../src/node/api/index.ts'
import { silent } from '../../support/logger.ts'
import { refusal } from '../../support/refusal.ts'

const spec = (name: string, published: number): ServiceSpec => ({ name, image: 'meshd/busybox:latest', env: {}, replicas: 1, ports: [{ published, target: 80 }], labels: {} })

function cluster (): ClusterDocument {
  const document = new ClusterDocument({ log: silent })
  document.putNode('a', { name: 'node-1', host: '127.0.0.1', apiPort: 7700, p2pPort: 7701, labels: {}, draining: false, startedAt: 0 })
  document.putNode('b', { name: 'node-2', host: '127.0.0.2', apiPort: 7800, p2pPort: 7801, labels: {}, draining: false, startedAt: 0, ingressPorts: [8880, 8443] })
  return document
}

describe('writeService ports', () => {
  it('refuses a member\'s API, peer-to-peer or ingress port, naming the field and the node', () => {
    const document = cluster()
    expect(refusal(() => writeService(document, spec('web', 7700)))).toMatchObject({ code: 'MESHD_INVALID_SPEC', path: 'ports[0].published', message: expect.stringContaining('API port of node node-1') })
    expect(refusal(() => writeService(document, spec('web', 7801)))).toMatchObject({ path: 'ports[0].published', message: expect.stringContaining('peer-to-peer port of node node-2') })
    expect(refusal(() => writeService(document, spec('web', 8443)))).toMatchObject({ path: 'ports[0].published', message: expect.stringContaining('an ingress port of node node-2') })
    expect(document.services()).toEqual({})
  })

  it('refuses a port below 1024 unless the node allows it, and keeps one a service already publishes', () => {
    const document = cluster()
    expect(refusal(() => writeService(document, spec('ssh', 22)))).toMatchObject({ code: 'MESHD_INVALID_SPEC', path: 'ports[0].published', message: expect.stringContaining('--allow-low-ports') })
    expect(writeService(document, spec('web', 80), 0, { allowLowPorts: true }).created).toBe(true)
    expect(writeService(document, { ...spec('web', 80), replicas: 2 }, 1).changed).toBe(true)
  })

  it('refuses a port another service publishes', () => {
    const document = cluster()
    writeService(document, spec('web', 8080))
    expect(refusal(() => writeService(document, spec('api', 8080)))).toMatchObject({ code: 'MESHD_PORT_CONFLICT', path: 'ports[0].published' })
  })
})
