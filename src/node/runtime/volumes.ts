// A replica's volumes as archives, so a slot's data can move to another node: out of one
// volume as a tar stream, into another from one. Docker reads and writes the archive
// itself (the container archive API) through a temporary container that mounts the
// volume and is created but never started, so the image needs no tar, no process of it
// runs, and entries outside the volume land in that container's own filesystem and go
// with it. No copyUIDGID: the archive's own headers give every owner and mode, the
// volume's directory included (postgres starts only on a PGDATA of uid 999, mode 0700).

import { randomBytes } from 'node:crypto'
import { finished, type Readable } from 'node:stream'
import type Docker from 'dockerode'
import type { Logger } from '../../logger.ts'
import { VOLUME_ARCHIVE_ROOT } from './constants.ts'
import { hostArchive, hostExtract, readableMountpoint } from './host-tar.ts'
import { safeNodeName, volumeLabels } from './container-spec.ts'
import { isNotFound, statusOf, VolumeError } from './errors.ts'
import { LABELS, type VolumeInfo, type VolumeLabels } from './types.ts'

// Where the temporary container mounts the volume: a path no image has, since Docker copies
// an image's content at the mount point into an empty volume when the container is created.
// getArchive names entries after its last part, so it is also the archive's root.
const MOUNT_POINT = `/${VOLUME_ARCHIVE_ROOT}`

export interface VolumeStoreInit {
  docker: Docker
  nodeName: string
  log: Logger
  /** Makes sure an image is here before a temporary container is created from it. */
  ensureImage: (image: string, signal: AbortSignal | undefined) => Promise<void>
  /** Maps a dockerode error to the runtime's (toRuntimeError). */
  mapError: (err: unknown) => unknown
}

type Signal = { signal?: AbortSignal }

/** This node's replica volumes on the engine: export, import, remove, list. */
export class VolumeStore {
  private readonly init: VolumeStoreInit

  constructor (init: VolumeStoreInit) {
    this.init = init
  }

  async export (name: string, image: string, opts: Signal = {}): Promise<Readable> {
    await this.ownVolume(name, opts.signal, true)
    const mountpoint = await readableMountpoint(await this.mountpointOf(name, opts.signal))
    if (mountpoint !== undefined) return hostArchive(mountpoint)
    const container = await this.copyContainer(name, image, opts.signal)
    try {
      const tar = await container.getArchive({ path: MOUNT_POINT, ...abortOption(opts.signal) }) as unknown as Readable
      // Ended, failed or destroyed by the reader: the container goes either way.
      finished(tar, () => { void this.removeContainer(container) })
      return tar
    } catch (err) {
      await this.removeContainer(container)
      throw this.init.mapError(err)
    }
  }

  async import (name: string, labels: VolumeLabels, image: string, tar: Readable, opts: Signal = {}): Promise<void> {
    // docker-modem pipes the archive into its request, and a source that fails or closes
    // early would leave that request open: watched from the start, it aborts the request.
    const failed = new AbortController()
    const stopWatching = finished(tar, { writable: false }, (err) => { if (err !== undefined && err !== null) failed.abort(err) })
    let container: Docker.Container | undefined
    try {
      if (labels.node !== this.init.nodeName) {
        throw new VolumeError('foreign-node', `volume ${name}: labelled for node ${labels.node}, expected this node (${this.init.nodeName}): a node imports only its own volumes`)
      }
      // Made anew: nothing of an older content survives, and a volume in use is refused here.
      await this.remove(name, opts)
      await this.init.docker.createVolume({ Name: name, Labels: volumeLabels(labels), ...abortOption(opts.signal) }).catch(err => { throw this.init.mapError(err) })
      try {
        const mountpoint = await readableMountpoint(await this.mountpointOf(name, opts.signal))
        if (mountpoint !== undefined) {
          await hostExtract(mountpoint, tar, opts.signal === undefined ? failed.signal : AbortSignal.any([opts.signal, failed.signal]))
        } else {
          container = await this.copyContainer(name, image, opts.signal)
          failed.signal.throwIfAborted()
          const signal = opts.signal === undefined ? failed.signal : AbortSignal.any([opts.signal, failed.signal])
          await container.putArchive(tar, { path: '/', abortSignal: signal })
          await this.removeContainer(container)
        }
      } catch (err) {
        if (container !== undefined) await this.removeContainer(container)
        // Half an archive is no volume: the caller sees none rather than a partial one.
        await this.init.docker.getVolume(name).remove().catch((removeErr: unknown) => {
          if (!isNotFound(removeErr)) this.init.log.error({ err: removeErr, volume: name }, 'could not remove a volume whose import failed')
        })
        throw failed.signal.aborted ? failed.signal.reason : this.init.mapError(err)
      }
    } catch (err) {
      tar.destroy()
      throw err
    } finally {
      stopWatching()
    }
  }

  async remove (name: string, opts: Signal = {}): Promise<void> {
    if (!await this.ownVolume(name, opts.signal, false)) return
    // A copy container a crash left behind would hold the volume.
    const leftovers = await this.init.docker.listContainers({ all: true, filters: { label: [`${LABELS.volumeCopy}=${name}`] }, ...abortOption(opts.signal) })
      .catch(err => { throw this.init.mapError(err) })
    for (const entry of leftovers) await this.removeContainer(this.init.docker.getContainer(entry.Id))
    try {
      await this.init.docker.getVolume(name).remove(abortOption(opts.signal))
    } catch (err) {
      if (isNotFound(err)) return
      if (statusOf(err) === 409) throw new VolumeError('in-use', `volume ${name} is used by a container: remove the replica first`, { cause: err })
      throw this.init.mapError(err)
    }
  }

  async list (opts: Signal = {}): Promise<VolumeInfo[]> {
    const answer = await this.init.docker.listVolumes({ filters: { label: [`${LABELS.node}=${this.init.nodeName}`] }, ...abortOption(opts.signal) } as Docker.VolumeListOptions)
      .catch(err => { throw this.init.mapError(err) })
    return (answer.Volumes ?? []).flatMap(volume => volumeInfo(volume.Name, volume.Labels ?? {}) ?? [])
  }

  /** The local driver's directory of a volume (its content), or undefined for other drivers. */
  private async mountpointOf (name: string, signal: AbortSignal | undefined): Promise<string | undefined> {
    const volume = await this.init.docker.getVolume(name).inspect(abortOption(signal)).catch(err => { throw this.init.mapError(err) }) as { Mountpoint?: string, Driver?: string }
    return volume.Driver === 'local' ? volume.Mountpoint : undefined
  }

  /**
   * Whether the volume exists and is this node's; VolumeError 'foreign-node' when it is
   * another's, and 'not-found' when it is absent and `required`.
   */
  private async ownVolume (name: string, signal: AbortSignal | undefined, required: boolean): Promise<boolean> {
    let labels: Record<string, string> | undefined
    try {
      labels = (await this.init.docker.getVolume(name).inspect(abortOption(signal))).Labels ?? {}
    } catch (err) {
      if (!isNotFound(err)) throw this.init.mapError(err)
      if (required) throw new VolumeError('not-found', `volume ${name} does not exist on this node`, { cause: err })
      return false
    }
    if (labels[LABELS.node] !== this.init.nodeName) {
      throw new VolumeError('foreign-node', `volume ${name} is not this node's (meshd.node=${labels[LABELS.node] ?? 'none'}, expected ${this.init.nodeName})`)
    }
    return true
  }

  /** A container of `image` mounting the volume at MOUNT_POINT, created and never started, on no network. */
  private async copyContainer (name: string, image: string, signal: AbortSignal | undefined): Promise<Docker.Container> {
    await this.init.ensureImage(image, signal)
    return await this.init.docker.createContainer({
      name: `meshd-${safeNodeName(this.init.nodeName)}-volume-copy-${randomBytes(4).toString('hex')}`,
      Image: image,
      // Never run; a command only because Docker refuses to create a container without one.
      Entrypoint: ['/meshd-volume-copy'],
      Cmd: [],
      Labels: { [LABELS.volumeCopy]: name },
      NetworkDisabled: true,
      HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: name, Target: MOUNT_POINT } as Docker.MountSettings] },
      ...abortOption(signal)
    }).catch(err => { throw this.init.mapError(err) })
  }

  private async removeContainer (container: Docker.Container): Promise<void> {
    // v: the anonymous volumes an image's VOLUME lines made for it go too (never a named one).
    await container.remove({ force: true, v: true }).catch((err: unknown) => {
      if (!isNotFound(err)) this.init.log.error({ err, container: container.id }, 'could not remove a volume copy container')
    })
  }
}

/** A volume's labels as VolumeInfo, or undefined when they are not a replica volume's. */
export function volumeInfo (name: string, labels: Record<string, string>): VolumeInfo | undefined {
  const node = labels[LABELS.node]
  const service = labels[LABELS.service]
  const source = labels[LABELS.volume]
  const slot = Number(labels[LABELS.slot])
  if (node === undefined || service === undefined || source === undefined || !/^\d+$/.test(labels[LABELS.slot] ?? '') || !Number.isSafeInteger(slot)) return undefined
  return { name, node, service, slot, source }
}

function abortOption (signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal }
}
