import type Docker from 'dockerode'
import { ImagePullError, isAbort, isNotFound, toRuntimeError } from './errors.ts'
import { RuntimeUnavailableError } from './types.ts'

/** Resolves once image is present locally, pulling it when absent; a failed pull rejects with ImagePullError. */
export async function ensureImage (docker: Docker, image: string, opts: { signal?: AbortSignal, endpoint: string }): Promise<void> {
  try {
    // dockerode's image inspect takes no AbortSignal; it is one quick local lookup.
    await docker.getImage(image).inspect()
    return
  } catch (err) {
    if (!isNotFound(err)) throw toRuntimeError(err, opts.endpoint)
  }
  opts.signal?.throwIfAborted()
  try {
    await pull(docker, image, opts.signal)
  } catch (err) {
    const mapped = toRuntimeError(err, opts.endpoint)
    if (mapped instanceof RuntimeUnavailableError || isAbort(mapped)) throw mapped
    throw new ImagePullError(image, mapped instanceof Error ? mapped.message : String(mapped), { cause: err })
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
