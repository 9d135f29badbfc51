// Images on this node: present or pulled, and, when a deploy recorded an image id, the
// reference that runs exactly that image. There is no registry to ask for a digest, so
// identity is the engine's own image id ("sha256:…", the digest of the image config),
// which `docker save | docker load` keeps and a second `docker import` does not.

import type Docker from 'dockerode'
import { ImageMismatchError, ImagePullError, isAbort, isNotFound, toRuntimeError } from './errors.ts'
import { RuntimeUnavailableError } from './types.ts'

const IMAGE_ID = /^sha256:[0-9a-f]{64}$/

/** Whether `text` is a full image id: "sha256:" and 64 lowercase hex digits. */
export function isImageId (text: string): boolean {
  return IMAGE_ID.test(text)
}

/** The id of the local image a reference (tag, digest or id) names; undefined when there is none. */
export async function localImageId (docker: Docker, reference: string, endpoint: string): Promise<string | undefined> {
  try {
    // dockerode's image inspect takes no AbortSignal; it is one quick local lookup.
    return (await docker.getImage(reference).inspect()).Id
  } catch (err) {
    if (isNotFound(err)) return undefined
    throw toRuntimeError(err, endpoint)
  }
}

/**
 * What to create a replica from so that it runs `imageId`: the tag when it names that
 * id here, the id itself when the tag is absent; ImageMismatchError otherwise.
 */
export async function pinnedReference (docker: Docker, image: string, imageId: string, endpoint: string): Promise<string> {
  // A malformed id would otherwise reach the engine as a path; a prefix would match by prefix.
  if (!isImageId(imageId)) throw new Error(`the image id recorded for "${image}", ${JSON.stringify(imageId)}, is not "sha256:" and 64 hex digits`)
  const local = await localImageId(docker, image, endpoint)
  if (local === imageId) return image
  if (local === undefined && await localImageId(docker, imageId, endpoint) === imageId) return imageId
  throw new ImageMismatchError(image, imageId, local)
}

/**
 * Resolves once image is present locally, pulling it when absent; with `imageId`, an
 * image of that id is enough (run() picks the reference). A failed pull rejects with
 * ImagePullError, or ImageMismatchError when an id was expected.
 */
export async function ensureImage (docker: Docker, image: string, opts: { signal?: AbortSignal, endpoint: string, imageId?: string }): Promise<void> {
  const { endpoint, imageId } = opts
  if (imageId !== undefined && isImageId(imageId) && await localImageId(docker, imageId, endpoint) === imageId) return
  if (await localImageId(docker, image, endpoint) !== undefined) return
  opts.signal?.throwIfAborted()
  try {
    await pull(docker, image, opts.signal)
  } catch (err) {
    const mapped = toRuntimeError(err, endpoint)
    if (mapped instanceof RuntimeUnavailableError || isAbort(mapped)) throw mapped
    const reason = mapped instanceof Error ? mapped.message : String(mapped)
    if (imageId !== undefined) throw new ImageMismatchError(image, imageId, undefined, { reason, cause: err })
    throw new ImagePullError(image, reason, { cause: err })
  }
}

// A pull answers 200 at once and reports failure later, inside the progress stream.
async function pull (docker: Docker, image: string, signal: AbortSignal | undefined): Promise<void> {
  const stream = await docker.pull(image, signal === undefined ? {} : { abortSignal: signal })
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err, events) => {
      if (err !== null) return reject(err)
      const failure = events.find(event => typeof event?.error === 'string')
      if (failure !== undefined) return reject(new Error(failure.errorDetail?.message ?? failure.error))
      resolve()
    })
  })
}
