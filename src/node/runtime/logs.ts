// A replica's log as Docker keeps it, streamed: never the whole log in memory (dockerode
// buffers a log that is not followed, so the request is dialled as a stream either way).
// Docker is always asked for timestamps: they order lines across replicas and nodes.

import type { Readable } from 'node:stream'
import type Docker from 'dockerode'
import type { ContainerLog, ContainerLogOptions } from './types.ts'

/** Opens a container's log (stdout and stderr, timestamped); `tty` says whether it is one raw stream or Docker's stdout/stderr frames. */
export async function containerLogs (docker: Docker, id: string, opts: ContainerLogOptions): Promise<ContainerLog> {
  const abort = opts.signal === undefined ? {} : { abortSignal: opts.signal }
  const inspected = await docker.getContainer(id).inspect(abort)
  const options: Record<string, unknown> = { follow: opts.follow, stdout: true, stderr: true, timestamps: true, tail: opts.tail ?? 'all' }
  if (opts.since !== undefined) options.since = opts.since
  const stream = await new Promise<Readable>((resolve, reject) => {
    docker.modem.dial({
      path: `/containers/${id}/logs?`,
      method: 'GET',
      ...abort,
      isStream: true,
      statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
      options
    }, (err, data) => { if (err !== null && err !== undefined) reject(err); else resolve(data as Readable) })
  })
  return { tty: inspected.Config?.Tty === true, stream }
}
