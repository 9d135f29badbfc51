// Secrets and configs as the API writes them: versions, references resolved when a spec
// is written, rotation of the services that follow the latest, and the refusals.

import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import type { ServiceSpec } from '../../../src/crdt/index.ts'
import { writeService } from '../../../src/node/api/index.ts'
import { createStored, removeStored, resolveRefs, updateStored } from '../../../src/node/api/stored.ts'
import { storedView } from '../../../src/node/api/stored-views.ts'
import { clusterView } from '../../../src/node/cluster/index.ts'
import { parseServiceSpec } from '../../../src/node/spec/index.ts'
import { replicaFiles, secretsKeyOf } from '../../../src/node/stored/index.ts'
import { silent } from '../../support/logger.ts'
import { refusal } from '../../support/refusal.ts'

const secretsKey = secretsKeyOf(randomBytes(32))
const opts = { secretsKey }

function spec (name: string, secrets: unknown[] = [], configs: unknown[] = []): ServiceSpec {
  return parseServiceSpec({ name, image: 'meshd/busybox:latest', ...(secrets.length > 0 ? { secrets } : {}), ...(configs.length > 0 ? { configs } : {}) })
}

function deploy (document: ClusterDocument, s: ServiceSpec): void {
  writeService(document, resolveRefs(document, s))
}

describe('secrets and configs in the document', () => {
  it('resolves an unpinned reference to the latest version and a pinned one to its own', () => {
    const document = new ClusterDocument({ log: silent })
    createStored(document, 'secret', 'db-pass', Buffer.from('one'), opts)
    updateStored(document, 'secret', 'db-pass', Buffer.from('two'), opts)
    const resolved = resolveRefs(document, spec('db', [{ source: 'db-pass' }, { source: 'db-pass@1', target: 'old' }]))
    expect(resolved.secrets?.map((ref) => ref.version)).toEqual([2, 1])
    expect(resolved.secrets?.[0]).toEqual({ source: 'db-pass', target: 'db-pass', mode: 0o400, uid: 0, gid: 0, version: 2 })
  })

  it('refuses a missing secret or version with 400 naming the field, and changes nothing', () => {
    const document = new ClusterDocument({ log: silent })
    expect(refusal(() => resolveRefs(document, spec('db', [{ source: 'nope' }])))).toMatchObject({ code: 'MESHD_INVALID_SPEC', path: 'secrets[0].source' })
    createStored(document, 'config', 'site', Buffer.from('<h1>hi</h1>'), opts)
    expect(refusal(() => resolveRefs(document, spec('web', [], [{ source: 'site@3', target: '/www/index.html' }])))).toMatchObject({ path: 'configs[0].source', message: expect.stringContaining('no version 3') })
    expect(document.services()).toEqual({})
  })

  it('an update rolls the services that follow the latest, not a pinned one, and drops versions nobody uses', () => {
    const document = new ClusterDocument({ log: silent })
    createStored(document, 'secret', 'db-pass', Buffer.from('one'), opts)
    deploy(document, spec('db', [{ source: 'db-pass' }]))
    deploy(document, spec('pinned', [{ source: 'db-pass@1' }]))
    const { record, rolled } = updateStored(document, 'secret', 'db-pass', Buffer.from('two'), opts)
    expect(record.version).toBe(2)
    expect(rolled).toEqual(['db'])
    expect(document.service('db')).toMatchObject({ generation: 2, spec: { secrets: [{ version: 2 }] } })
    expect(document.rollout('db')).toMatchObject({ generation: 2, from: 1 })
    expect(document.service('pinned')).toMatchObject({ generation: 1, spec: { secrets: [{ version: 1 }] } })
    updateStored(document, 'secret', 'db-pass', Buffer.from('three'), opts)
    updateStored(document, 'secret', 'db-pass', Buffer.from('four'), opts)
    updateStored(document, 'secret', 'db-pass', Buffer.from('five'), opts)
    // 1: pinned; 3, 4, 5: the last three. 2 is gone: nothing refers to it (db's rollout
    // from generation 1 was still in progress, so its previous spec is generation 1's).
    expect(Object.keys(document.secrets()).sort()).toEqual(['db-pass@1', 'db-pass@3', 'db-pass@4', 'db-pass@5'])
  })

  it('refuses a name taken, a removal in use (naming the service), and more than 512 KiB', () => {
    const document = new ClusterDocument({ log: silent })
    createStored(document, 'config', 'site', Buffer.from('x'), opts)
    expect(refusal(() => createStored(document, 'config', 'site', Buffer.from('y'), opts))).toMatchObject({ code: 'MESHD_EXISTS' })
    deploy(document, spec('web', [], [{ source: 'site', target: '/www/index.html' }]))
    expect(refusal(() => removeStored(document, 'config', 'site'))).toMatchObject({ code: 'MESHD_IN_USE', message: expect.stringContaining('"web"') })
    expect(refusal(() => createStored(document, 'secret', 'big', Buffer.alloc(600 * 1024), opts))).toMatchObject({ code: 'MESHD_TOO_LARGE', path: 'data' })
    expect(refusal(() => updateStored(document, 'secret', 'nope', Buffer.from('x'), opts))).toMatchObject({ code: 'MESHD_SECRET_NOT_FOUND' })
    document.deleteService('web')
    removeStored(document, 'config', 'site')
    expect(document.configs()).toEqual({})
  })

  it('stores only ciphertext, and a replica\'s files hold the content with the mode and owner asked for', () => {
    const document = new ClusterDocument({ log: silent })
    const value = randomBytes(12).toString('hex')
    createStored(document, 'secret', 'db-pass', Buffer.from(value), opts)
    createStored(document, 'config', 'site', Buffer.from('<h1>hi</h1>'), opts)
    expect(JSON.stringify(document.secrets())).not.toContain(value)
    expect(JSON.stringify(document.secrets())).not.toContain(Buffer.from(value).toString('base64').slice(0, 12))
    const resolved = resolveRefs(document, spec('db', [{ source: 'db-pass', uid: 999, mode: '0440' }], [{ source: 'site', target: '/etc/site.html' }]))
    const files = replicaFiles(resolved, { secrets: document.secrets(), configs: document.configs() }, secretsKey)
    expect(files.map((f) => ({ ...f, data: f.data.toString() }))).toEqual([
      { path: '/run/secrets/db-pass', data: value, mode: 0o440, uid: 999, gid: 0 },
      { path: '/etc/site.html', data: '<h1>hi</h1>', mode: 0o444, uid: 0, gid: 0 }
    ])
    expect(() => replicaFiles(resolved, { secrets: {}, configs: document.configs() }, secretsKey)).toThrow(/db-pass@1/)
    expect(() => replicaFiles(resolved, { secrets: document.secrets(), configs: document.configs() }, secretsKeyOf(randomBytes(32)))).toThrow(/decrypt/)
  })

  it('its view says which services use it, pinned or not, and how many replicas run an older version', () => {
    const document = new ClusterDocument({ log: silent })
    createStored(document, 'secret', 'db-pass', Buffer.from('one'), opts)
    deploy(document, spec('db', [{ source: 'db-pass' }]))
    document.putNode('n1', { name: 'node-1', host: '127.0.0.1', apiPort: 7700, p2pPort: 7701, labels: {}, draining: false, startedAt: 0 })
    document.putReplica('n1', 'db#0', { service: 'db', slot: 0, generation: 1, node: 'node-1', container: 'c1', endpoint: '', ports: [], state: 'healthy', updatedAt: 0 })
    updateStored(document, 'secret', 'db-pass', Buffer.from('two'), opts)
    const view = clusterView(document.snapshot(), 'n1', () => 'alive', Date.now())
    const versions = Object.values(document.secrets()).sort((a, b) => a.version - b.version)
    expect(storedView(view, 'secret', versions)).toMatchObject({
      name: 'db-pass', version: 2, versions: [1, 2], size: 3,
      usedBy: [{ service: 'db', pinned: false, version: 2, running: { 1: 1 }, outdated: 1 }]
    })
  })
})
