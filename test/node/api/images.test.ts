// A deploy records the image id its node has for spec.image; every later write keeps,
// replaces or drops it as the image changes, and a rollback takes the old one back.

import { describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import type { ServiceSpec } from '../../../src/crdt/index.ts'
import { deployService, rollbackService, scaleService, writeService } from '../../../src/node/api/index.ts'
import type { ResolveImage } from '../../../src/node/api/index.ts'
import { recordingLogger } from '../../support/logger.ts'

const [A, B] = [`sha256:${'a'.repeat(64)}`, `sha256:${'b'.repeat(64)}`]
const IMAGE = 'meshd/busybox:latest'

function spec (fields: Partial<ServiceSpec> = {}): ServiceSpec {
  return { name: 'web', image: IMAGE, env: {}, replicas: 2, ports: [], labels: {}, ...fields }
}

/** An engine whose tags name these ids. */
const engine = (ids: Record<string, string>): ResolveImage => async (image) => ids[image]
const documentOf = (): ClusterDocument => new ClusterDocument({ log: recordingLogger() })

describe('deployService', () => {
  it('records the id the node has for the tag', async () => {
    const document = documentOf()
    const result = await deployService(document, spec(), engine({ [IMAGE]: A }))
    expect(result).toMatchObject({ created: true, record: { generation: 1, imageId: A } })
    expect(result).not.toHaveProperty('unpinned')
    expect(document.service('web')?.imageId).toBe(A)
  })

  it('changes nothing when the tag still names the same image, and rolls out when it names another', async () => {
    const document = documentOf()
    await deployService(document, spec(), engine({ [IMAGE]: A }))
    expect(await deployService(document, spec(), engine({ [IMAGE]: A }))).toMatchObject({ changed: false, record: { generation: 1 } })
    const result = await deployService(document, spec(), engine({ [IMAGE]: B }))
    expect(result).toMatchObject({ changed: true, record: { generation: 2, imageId: B, previous: { generation: 1, imageId: A } } })
    expect(document.rollout('web')).toMatchObject({ generation: 2, from: 1 })
  })

  it('writes the deploy without an id, and says why, when the node does not have the image', async () => {
    const document = documentOf()
    const result = await deployService(document, spec(), engine({}))
    expect(result.record).not.toHaveProperty('imageId')
    expect(result.unpinned).toBe(`image "${IMAGE}" is not on the node that took the deploy, so no image id was recorded: each node runs what the tag names there`)
  })

  it('keeps the id of an unchanged image when this node cannot name it', async () => {
    const document = documentOf()
    await deployService(document, spec(), engine({ [IMAGE]: A }))
    const result = await deployService(document, spec({ env: { V: '2' } }), engine({}))
    expect(result).toMatchObject({ record: { generation: 2, imageId: A, previous: { imageId: A } } })
    expect(result).not.toHaveProperty('unpinned')
    // A new image that cannot be named drops the old id: it named another image.
    const moved = await deployService(document, spec({ image: 'meshd/other:1' }), engine({}))
    expect(moved.record).not.toHaveProperty('imageId')
    expect(moved.unpinned).toMatch(/^image "meshd\/other:1" is not on the node/)
  })

  it('reports an engine that fails, hangs or answers nonsense instead of failing the deploy', async () => {
    const failing: ResolveImage = async () => { throw new Error('docker engine unreachable') }
    const hanging: ResolveImage = async () => await new Promise(() => {})
    expect((await deployService(documentOf(), spec(), failing)).unpinned).toMatch(/could not be looked up: docker engine unreachable, so no image id/)
    expect((await deployService(documentOf(), spec(), hanging, { timeoutMs: 20 })).unpinned).toMatch(/could not be looked up: .*timeout/)
    expect((await deployService(documentOf(), spec(), engine({ [IMAGE]: 'a'.repeat(12) }))).unpinned).toMatch(/resolved to "a{12}", which is not an image id/)
  })

  it('writes nothing for an aborted request', async () => {
    const document = documentOf()
    const hanging: ResolveImage = async () => await new Promise(() => {})
    const controller = new AbortController()
    const pending = deployService(document, spec(), hanging, { signal: controller.signal })
    controller.abort()
    await expect(pending).rejects.toThrow()
    expect(document.service('web')).toBeUndefined()
  })

  it('writes like writeService without a resolver', async () => {
    const result = await deployService(documentOf(), spec(), undefined)
    expect(result).toMatchObject({ created: true, changed: true })
    expect(result.record).not.toHaveProperty('imageId')
    expect(result).not.toHaveProperty('unpinned')
  })
})

describe('the image id through scale and rollback', () => {
  it('survives a scale, which is no new generation', async () => {
    const document = documentOf()
    await deployService(document, spec(), engine({ [IMAGE]: A }))
    expect(scaleService(document, 'web', 5).record).toMatchObject({ generation: 1, imageId: A, spec: { replicas: 5 } })
  })

  it('goes back with its spec on rollback', async () => {
    const document = documentOf()
    await deployService(document, spec(), engine({ [IMAGE]: A }))
    await deployService(document, spec(), engine({ [IMAGE]: B }))
    expect(rollbackService(document, 'web', [0, 1])).toMatchObject({ generation: 1, imageId: A, previous: { generation: 2, imageId: B } })
  })

  it('is written by writeService when given, and kept by a write without one', () => {
    const document = documentOf()
    expect(writeService(document, spec(), 1, { imageId: A }).record.imageId).toBe(A)
    expect(writeService(document, spec({ replicas: 3 }), 2).record).toMatchObject({ generation: 1, imageId: A })
  })
})
