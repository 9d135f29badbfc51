// Stack writes against the document: one transaction, unchanged services untouched (no
// new generation), files created or updated by content, prune only when asked, and a
// removal that takes the files the stack created but never one made by hand.

import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import { writeService } from '../../../src/node/api/index.ts'
import { parseStackRequest } from '../../../src/node/api/stack-body.ts'
import { applyStack, planRemoval, planStack, removeStack, stackFiles } from '../../../src/node/api/stacks.ts'
import { createStored, resolveRefs, updateStored } from '../../../src/node/api/stored.ts'
import { parseServiceSpec } from '../../../src/node/spec/index.ts'
import { secretsKeyOf } from '../../../src/node/stored/index.ts'
import { silent } from '../../support/logger.ts'
import { refusal } from '../../support/refusal.ts'

const secretsKey = secretsKeyOf(randomBytes(32))
const opts = { secretsKey, allowLowPorts: false }
const base64 = (text: string) => Buffer.from(text).toString('base64')
const service = (short: string, extra: Record<string, unknown> = {}) => ({ name: `shop-${short}`, image: 'meshd/busybox:latest', stack: 'shop', ...extra })
const db = (extra: Record<string, unknown> = {}) => service('db', { secrets: [{ source: 'shop-db-pass' }], ...extra })

/** Plans and applies a body for the stack "shop" (as PUT /v1/stacks/shop), counting the document's updates. */
function deploy (document: ClusterDocument, body: Record<string, unknown>) {
  const updates: unknown[] = []
  const count = (update: unknown) => { updates.push(update) }
  document.on('update', count)
  const request = parseStackRequest(body, 'shop')
  const plan = planStack(document, request, opts)
  if (!request.dryRun) applyStack(document, plan, opts)
  document.off('update', count)
  return { plan, updates: updates.length }
}

describe('a stack write', () => {
  it('is one document transaction, and a redeploy touches only the services that changed', () => {
    const document = new ClusterDocument({ log: silent })
    const body = { services: [db(), service('api', { env: { DB_HOST: 'db' } }), service('web')], secrets: [{ name: 'shop-db-pass', data: base64('one') }] }
    const first = deploy(document, body)
    expect(first.updates).toBe(1)
    expect(first.plan.services.map((s) => [s.name, s.action, s.generation])).toEqual([['shop-db', 'created', 1], ['shop-api', 'created', 1], ['shop-web', 'created', 1]])
    expect(document.secrets()['shop-db-pass@1']).toMatchObject({ stack: 'shop', version: 1 })
    expect(document.service('shop-db')?.spec.secrets).toEqual([{ source: 'shop-db-pass', target: 'shop-db-pass', mode: 0o400, uid: 0, gid: 0, version: 1 }])
    const web = document.service('shop-web')!

    const again = deploy(document, { ...body, services: [db(), service('api', { env: { DB_HOST: 'db:5432' } }), service('web')] })
    expect(again.updates).toBe(1)
    expect(again.plan.services.map((s) => [s.name, s.action, s.generation])).toEqual([['shop-db', 'unchanged', 1], ['shop-api', 'updated', 2], ['shop-web', 'unchanged', 1]])
    expect(again.plan.files).toMatchObject([{ name: 'shop-db-pass', action: 'unchanged', version: 1 }])
    expect(document.service('shop-web')).toEqual(web)
    expect(document.rollout('shop-web')).toBeUndefined()
    expect(document.rollout('shop-api')).toMatchObject({ generation: 2, from: 1 })

    const same = deploy(document, { ...body, services: [db(), service('api', { env: { DB_HOST: 'db:5432' } }), service('web')] })
    expect(same.updates).toBe(0)
  })

  it('updates a file whose content differs, rolls the services that follow it (in the stack or not), and keeps a pinned one', () => {
    const document = new ClusterDocument({ log: silent })
    deploy(document, { services: [db(), service('web')], secrets: [{ name: 'shop-db-pass', data: base64('one') }] })
    writeService(document, resolveRefs(document, parseServiceSpec({ name: 'report', image: 'meshd/busybox:latest', secrets: [{ source: 'shop-db-pass' }] })))
    writeService(document, resolveRefs(document, parseServiceSpec({ name: 'audit', image: 'meshd/busybox:latest', secrets: [{ source: 'shop-db-pass@1' }] })))
    const { plan } = deploy(document, { services: [db(), service('web')], secrets: [{ name: 'shop-db-pass', data: base64('two') }] })
    expect(plan.files).toMatchObject([{ name: 'shop-db-pass', action: 'updated', version: 2 }])
    expect(plan.services.map((s) => [s.name, s.action, s.generation])).toEqual([['shop-db', 'updated', 2], ['shop-web', 'unchanged', 1]])
    expect(plan.rolled).toEqual(['report'])
    expect(document.secrets()['shop-db-pass@2']).toMatchObject({ stack: 'shop' })
    expect(document.service('shop-db')).toMatchObject({ generation: 2, spec: { secrets: [{ version: 2 }] } })
    expect(document.service('report')).toMatchObject({ generation: 2, spec: { secrets: [{ version: 2 }] } })
    expect(document.service('audit')).toMatchObject({ generation: 1, spec: { secrets: [{ version: 1 }] } })
    // A version made by hand keeps the stack that created the secret.
    updateStored(document, 'secret', 'shop-db-pass', Buffer.from('three'), { secretsKey })
    expect(document.secrets()['shop-db-pass@3']).toMatchObject({ stack: 'shop' })
  })

  it('with dryRun answers the same plan and writes nothing', () => {
    const document = new ClusterDocument({ log: silent })
    deploy(document, { services: [db(), service('web')], secrets: [{ name: 'shop-db-pass', data: base64('one') }] })
    const before = document.encodeState()
    const { plan, updates } = deploy(document, { services: [db({ replicas: 3 })], secrets: [{ name: 'shop-db-pass', data: base64('two') }], prune: true, dryRun: true })
    expect(updates).toBe(0)
    expect(Buffer.from(document.encodeState()).equals(Buffer.from(before))).toBe(true)
    expect(plan.services.map((s) => [s.name, s.action, s.generation])).toEqual([['shop-db', 'updated', 2]])
    expect(plan.files).toMatchObject([{ action: 'updated', version: 2 }])
    expect(plan.removed).toEqual(['shop-web'])
  })

  it('removes the stack\'s services left out of the body only with prune', () => {
    const document = new ClusterDocument({ log: silent })
    writeService(document, parseServiceSpec({ name: 'shopping', image: 'meshd/busybox:latest' }))
    deploy(document, { services: [service('web'), service('api')] })
    expect(deploy(document, { services: [service('web')] }).plan.removed).toEqual([])
    expect(Object.keys(document.services()).sort()).toEqual(['shop-api', 'shop-web', 'shopping'])
    // A dependency on a service the same write prunes would wait for ever.
    expect(refusal(() => deploy(document, { services: [service('web', { dependsOn: [{ service: 'shop-api' }] })], prune: true }))).toMatchObject({ path: 'services[0].dependsOn[0].service' })
    expect(deploy(document, { services: [service('web')], prune: true }).plan.removed).toEqual(['shop-api'])
    // Two services waiting for each other would never start.
    const cycle = refusal(() => deploy(document, { services: [service('web', { dependsOn: [{ service: 'shop-api' }] }), service('api', { dependsOn: [{ service: 'shop-web' }] })] }))
    expect(cycle).toMatchObject({ path: expect.stringMatching(/^services\[[01]\]\.dependsOn$/) })
    expect(cycle.message).toMatch(/a cycle shop-(web|api) → shop-(api|web) → shop-\1/)
    expect(Object.keys(document.services()).sort()).toEqual(['shop-web', 'shopping'])
  })

  it('refuses a service or file of another stack, and a port another service publishes, changing nothing', () => {
    const document = new ClusterDocument({ log: silent })
    writeService(document, parseServiceSpec({ name: 'shop-web-db', image: 'meshd/busybox:latest', stack: 'shop-web' }))
    createStored(document, 'config', 'site', Buffer.from('x'), { secretsKey })
    document.putConfig('site@1', { ...document.configs()['site@1']!, stack: 'blog' })
    writeService(document, parseServiceSpec({ name: 'edge', image: 'meshd/busybox:latest', ports: [{ published: 8080, target: 80 }] }))
    const before = document.encodeState()
    expect(refusal(() => deploy(document, { services: [service('web'), service('web-db')] }))).toMatchObject({ code: 'MESHD_INVALID_SPEC', path: 'services[1].name', message: expect.stringContaining('stack "shop-web"') })
    expect(refusal(() => deploy(document, { services: [service('web')], configs: [{ name: 'site', data: base64('y') }] }))).toMatchObject({ code: 'MESHD_EXISTS', path: 'configs[0].name' })
    expect(refusal(() => deploy(document, { services: [service('web', { ports: [{ published: 8080, target: 80 }] })] }))).toMatchObject({ code: 'MESHD_PORT_CONFLICT', path: 'services[0].ports[0].published' })
    expect(Buffer.from(document.encodeState()).equals(Buffer.from(before))).toBe(true)
  })
})

describe('a stack removal', () => {
  it('removes its services and the files it created, never one made by hand, and keeps one a service outside still uses', () => {
    const document = new ClusterDocument({ log: silent })
    createStored(document, 'secret', 'api-key', Buffer.from('by hand'), { secretsKey })
    deploy(document, {
      services: [db(), service('api', { secrets: [{ source: 'api-key' }], configs: [{ source: 'shop-site', target: '/etc/site' }] })],
      secrets: [{ name: 'shop-db-pass', data: base64('one') }],
      configs: [{ name: 'shop-site', data: base64('<h1>shop</h1>') }, { name: 'shop-shared', data: base64('shared') }]
    })
    expect(stackFiles(document.configs(), 'shop')).toEqual(['shop-shared', 'shop-site'])
    writeService(document, resolveRefs(document, parseServiceSpec({ name: 'blog', image: 'meshd/busybox:latest', configs: [{ source: 'shop-shared', target: '/etc/shared' }] })))
    const removal = planRemoval(document, 'shop')
    expect(removal).toEqual({
      services: ['shop-api', 'shop-db'], secrets: ['shop-db-pass'], configs: ['shop-site'],
      kept: [{ kind: 'config', name: 'shop-shared', usedBy: ['blog'] }]
    })
    removeStack(document, removal)
    expect(Object.keys(document.services())).toEqual(['blog'])
    expect(Object.keys(document.secrets())).toEqual(['api-key@1'])
    expect(Object.keys(document.configs())).toEqual(['shop-shared@1'])
    // Its last file still names it: once blog lets go, removing the stack again takes it.
    document.deleteService('blog')
    expect(planRemoval(document, 'shop')).toEqual({ services: [], secrets: [], configs: ['shop-shared'], kept: [] })
    removeStack(document, planRemoval(document, 'shop'))
    expect(refusal(() => planRemoval(document, 'shop'))).toMatchObject({ code: 'MESHD_STACK_NOT_FOUND', path: 'name' })
  })

  it('updates a file made by hand that the body names, which stays the hand\'s: the stack\'s removal leaves it', () => {
    const document = new ClusterDocument({ log: silent })
    createStored(document, 'secret', 'shop-db-pass', Buffer.from('by hand'), { secretsKey })
    expect(deploy(document, { services: [db()], secrets: [{ name: 'shop-db-pass', data: base64('by hand') }] }).plan.files).toMatchObject([{ action: 'unchanged', version: 1 }])
    expect(deploy(document, { services: [db()], secrets: [{ name: 'shop-db-pass', data: base64('from the file') }] }).plan.files).toMatchObject([{ action: 'updated', version: 2 }])
    expect(document.secrets()['shop-db-pass@2']).not.toHaveProperty('stack')
    expect(planRemoval(document, 'shop')).toEqual({ services: ['shop-db'], secrets: [], configs: [], kept: [] })
  })
})
