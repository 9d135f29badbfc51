// The image a deploy runs. The node that takes `PUT /v1/services/NAME` resolves
// spec.image to its own engine's image id and records it, so every node runs that exact
// image for the tag (the runtime refuses to start anything else). There is no registry
// to ask for a digest here, so that engine is the authority. When it does not have the
// image (or cannot answer) the deploy is still written, without an id, and says so:
// as Docker Swarm does when it cannot resolve a digest, each node then runs what its tag
// names.

import type { ClusterDocument, ServiceSpec } from '../../crdt/index.ts'
import { isImageId } from '../runtime/index.ts'
import { RESOLVE_IMAGE_TIMEOUT_MS } from './constants.ts'
import { writeService, type WriteResult } from './services.ts'

/** The id ("sha256:…") of the image a reference names on this node; undefined when it is not here. The daemon passes Runtime.imageId. */
export type ResolveImage = (image: string, opts?: { signal?: AbortSignal }) => Promise<string | undefined>

export interface DeployResult extends WriteResult {
  /** Why the record has no image id, when it has none although it was asked to: for the log and the answer. */
  unpinned?: string
}

export interface DeployOptions {
  now?: number
  /** Ports below 1024 may be published (--allow-low-ports). */
  allowLowPorts?: boolean
  /** The request's signal: an aborted request writes nothing. */
  signal?: AbortSignal
  /** How long the engine may take to answer (RESOLVE_IMAGE_TIMEOUT_MS). */
  timeoutMs?: number
}

/** writeService with spec.image resolved through resolveImage and recorded as the record's imageId; a failed lookup is reported in `unpinned`, never thrown. */
export async function deployService (document: ClusterDocument, spec: ServiceSpec, resolveImage: ResolveImage | undefined, opts: DeployOptions = {}): Promise<DeployResult> {
  const allowLowPorts = opts.allowLowPorts === true
  if (resolveImage === undefined) return writeService(document, spec, opts.now, { allowLowPorts })
  const { imageId, unpinned } = await imageIdOf(spec.image, resolveImage, opts)
  const result = writeService(document, spec, opts.now, { allowLowPorts, ...(imageId === undefined ? {} : { imageId }) })
  // An unchanged image keeps the id it has: then nothing is lost.
  if (unpinned === undefined || result.record.imageId !== undefined) return result
  return { ...result, unpinned: unpinnedNote(unpinned) }
}

/** The id `image` names on this node, or why there is none (`unpinned`); only an aborted request throws. */
export async function imageIdOf (image: string, resolveImage: ResolveImage, opts: Pick<DeployOptions, 'signal' | 'timeoutMs'> = {}): Promise<{ imageId?: string, unpinned?: string }> {
  try {
    const imageId = await withDeadline(async (signal) => await resolveImage(image, { signal }), opts.timeoutMs ?? RESOLVE_IMAGE_TIMEOUT_MS, opts.signal)
    if (imageId === undefined) return { unpinned: `image "${image}" is not on the node that took the deploy` }
    if (!isImageId(imageId)) return { unpinned: `image "${image}" resolved to ${JSON.stringify(imageId)}, which is not an image id` }
    return { imageId }
  } catch (err) {
    if (opts.signal?.aborted === true) throw err
    return { unpinned: `the id of image "${image}" could not be looked up: ${(err as Error).message}` }
  }
}

/** What a deploy says when it recorded no image id. */
export function unpinnedNote (unpinned: string): string {
  return `${unpinned}, so no image id was recorded: each node runs what the tag names there`
}

async function withDeadline<T> (work: (signal: AbortSignal) => Promise<T>, timeoutMs: number, outer: AbortSignal | undefined): Promise<T> {
  const deadline = AbortSignal.timeout(timeoutMs)
  const signal = outer === undefined ? deadline : AbortSignal.any([outer, deadline])
  signal.throwIfAborted()
  // The engine's image inspect takes no signal, so the deadline races it rather than cancels it.
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    work(signal).then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
  })
}
