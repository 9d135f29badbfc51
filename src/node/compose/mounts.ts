// Compose volumes and tmpfs → meshd volumes and tmpfs. A named volume becomes a volume
// of each slot, kept on the node that runs it; bind mounts and anonymous volumes have
// no meaning for replicas that may run on any node, so they are noted and left out.

import { mapOf, note, noteOthers, problem } from './context.ts'
import type { Context } from './context.ts'
import type { ComposePath } from './types.ts'
import { bytesOf } from './values.ts'

const BIND = 'a bind mount reaches into one machine\'s files, and replicas run on any node: use a named volume, or a config or secret for a file'
const ANONYMOUS = 'an anonymous volume is new and empty at every replica start: use tmpfs:, or a named volume to keep the data'

export interface Mounts {
  volumes: Array<{ source: string, target: string, readOnly?: boolean }>
  tmpfs: Array<{ target: string, size?: number }>
  /** The Compose volume each named volume came from, and where: shared volumes are noted by the stack. */
  used: Array<{ key: string, path: ComposePath }>
}

/** meshd's name for a Compose volume: lowercase, "_" and "." as "-" (meshd volume names have neither). */
export function volumeName (key: string): string {
  return key.toLowerCase().replace(/[_.]/g, '-')
}

/** The mounts of a service's `volumes` and `tmpfs`; `declared` are the top-level volume keys. */
export function mountsOf (ctx: Context, service: ComposePath, volumes: unknown, tmpfs: unknown, declared: ReadonlySet<string>): Mounts {
  const out: Mounts = { volumes: [], tmpfs: [], used: [] }
  if (Array.isArray(volumes)) {
    volumes.forEach((item, index) => {
      const path = [...service, 'volumes', index]
      if (typeof item === 'string') shortVolume(ctx, path, item, declared, out)
      else longVolume(ctx, path, item as Record<string, unknown>, declared, out)
    })
  }
  if (tmpfs !== undefined) {
    const items = Array.isArray(tmpfs) ? tmpfs : [tmpfs]
    items.forEach((item, index) => {
      const path = Array.isArray(tmpfs) ? [...service, 'tmpfs', index] : [...service, 'tmpfs']
      const [target = '', options = ''] = String(item).split(':')
      const mount: Mounts['tmpfs'][number] = { target }
      for (const option of options.split(',').filter((o) => o !== '')) {
        const size = /^size=(.+)$/.exec(option)?.[1]
        if (size !== undefined && bytesOf(size) !== undefined) mount.size = bytesOf(size)!
        else note(ctx, path, `tmpfs option ${option} not used: meshd sets the size only`)
      }
      out.tmpfs.push(mount)
    })
  }
  return out
}

function shortVolume (ctx: Context, path: ComposePath, text: string, declared: ReadonlySet<string>, out: Mounts): void {
  const parts = text.split(':')
  if (parts.length === 1) { note(ctx, path, ANONYMOUS); return }
  const [source = '', target = '', mode = ''] = parts
  if (/^[./~]/.test(source) || source.includes('/')) { note(ctx, path, BIND); return }
  const flags = mode.split(',').filter((f) => f !== '')
  for (const flag of flags.filter((f) => f !== 'ro' && f !== 'rw')) note(ctx, path, `volume option ${flag} not used by meshd`)
  named(ctx, path, source, target, flags.includes('ro'), declared, out)
}

function longVolume (ctx: Context, path: ComposePath, volume: Record<string, unknown>, declared: ReadonlySet<string>, out: Mounts): void {
  const target = String(volume.target ?? '')
  switch (volume.type) {
    case 'volume':
      if (volume.source === undefined || volume.source === '') { note(ctx, path, ANONYMOUS); return }
      noteOthers(ctx, path, volume, ['type', 'source', 'target', 'read_only'], {
        volume: 'volume options (nocopy, subpath) are not used: meshd mounts the whole volume'
      }, 'not used by meshd')
      named(ctx, path, String(volume.source), target, volume.read_only === true || volume.read_only === 'true', declared, out)
      return
    case 'tmpfs': {
      noteOthers(ctx, path, volume, ['type', 'target', 'tmpfs'], {}, 'not used by meshd')
      const options = mapOf(volume.tmpfs) ?? {}
      noteOthers(ctx, [...path, 'tmpfs'], options, ['size'], {}, 'meshd sets the size of a tmpfs only')
      const size = options.size === undefined ? undefined : bytesOf(options.size)
      out.tmpfs.push({ target, ...(size === undefined ? {} : { size }) })
      return
    }
    case 'bind':
      note(ctx, path, BIND)
      return
    default:
      note(ctx, path, `a ${String(volume.type)} mount is not offered by meshd`)
  }
}

function named (ctx: Context, path: ComposePath, source: string, target: string, readOnly: boolean, declared: ReadonlySet<string>, out: Mounts): void {
  if (!declared.has(source)) { problem(ctx, path, `volume ${JSON.stringify(source)} is not declared under the top-level volumes:`); return }
  out.volumes.push({ source: volumeName(source), target, ...(readOnly ? { readOnly: true } : {}) })
  out.used.push({ key: source, path })
}

/** Notes for the top-level volumes: meshd keeps each slot's volume on its node with the local driver. */
export function noteVolumeDefinitions (ctx: Context, volumes: Record<string, unknown>): void {
  for (const [key, definition] of Object.entries(volumes)) {
    const map = mapOf(definition)
    if (map === undefined) continue
    noteOthers(ctx, ['volumes', key], map, [], {
      driver: 'meshd keeps each slot\'s volume on its node with Docker\'s local driver',
      driver_opts: 'meshd keeps each slot\'s volume on its node with Docker\'s local driver',
      external: 'meshd creates each slot\'s volume itself: an existing Docker volume is not used',
      name: `meshd names the volume of each slot itself (from the key, as ${volumeName(key)})`,
      labels: 'volume labels are set by meshd'
    }, 'not used by meshd')
  }
}
