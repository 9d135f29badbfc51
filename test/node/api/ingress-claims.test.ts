// One service per ingress host and path: a second claim is refused (409 naming the
// first), by a service write and by a stack plan alike, and nothing is written.

import { describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import { writeService } from '../../../src/node/api/index.ts'
import { parseStackRequest } from '../../../src/node/api/stack-body.ts'
import { planStack } from '../../../src/node/api/stacks.ts'
import { parseServiceSpec } from '../../../src/node/spec/index.ts'
import { silent } from '../../support/logger.ts'
import { refusal } from '../../support/refusal.ts'

const spec = (name: string, ingress: unknown[], extra: Record<string, unknown> = {}) =>
  parseServiceSpec({ name, image: 'meshd/busybox:latest', ports: [{ target: 80 }], ingress, ...extra })

describe('ingress claims', () => {
  it('refuses a host and path another service routes, naming it; the same host on another path is free', () => {
    const document = new ClusterDocument({ log: silent })
    writeService(document, spec('shop', [{ host: 'shop.test', path: '/api', port: 80 }]))
    const before = document.encodeState()
    expect(refusal(() => writeService(document, spec('other', [{ host: 'www.test', port: 80 }, { host: 'SHOP.test', path: '/api/', port: 80 }]))))
      .toMatchObject({ code: 'MESHD_INGRESS_TAKEN', path: 'ingress[1].host', message: expect.stringContaining('shop.test/api is already routed to service "shop"') })
    expect(Buffer.from(document.encodeState()).equals(Buffer.from(before))).toBe(true)
    expect(writeService(document, spec('other', [{ host: 'shop.test', path: '/', port: 80 }])).created).toBe(true)
    // A service keeps its own routes when it is written again.
    expect(writeService(document, spec('shop', [{ host: 'shop.test', path: '/api', port: 80 }], { replicas: 2 })).changed).toBe(true)
  })

  it('changes no container: a new route is no new generation', () => {
    const document = new ClusterDocument({ log: silent })
    writeService(document, spec('shop', []))
    expect(writeService(document, spec('shop', [{ host: 'shop.test', port: 80 }])).record.generation).toBe(1)
  })

  it('refuses in a stack plan: against the document and between the stack\'s own services', () => {
    const document = new ClusterDocument({ log: silent })
    writeService(document, spec('edge', [{ host: 'edge.test', port: 80 }]))
    const stackService = (short: string, host: string) => ({ name: `shop-${short}`, image: 'meshd/busybox:latest', stack: 'shop', ports: [{ target: 80 }], ingress: [{ host, port: 80 }] })
    const plan = (services: unknown[]) => planStack(document, parseStackRequest({ services }, 'shop'), { allowLowPorts: false })
    expect(refusal(() => plan([stackService('web', 'edge.test')]))).toMatchObject({ code: 'MESHD_INGRESS_TAKEN', path: 'services[0].ingress[0].host', message: expect.stringContaining('service "edge"') })
    expect(refusal(() => plan([stackService('web', 'shop.test'), stackService('api', 'shop.test')])))
      .toMatchObject({ code: 'MESHD_INGRESS_TAKEN', path: 'services[1].ingress[0].host', message: expect.stringContaining('"shop-web" in this stack') })
    expect(plan([stackService('web', 'shop.test')]).services[0]!.spec.ingress).toEqual([{ host: 'shop.test', path: '/', port: 80 }])
  })
})
