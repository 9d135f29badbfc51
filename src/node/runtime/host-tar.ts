// A faster way out for a volume's archive, where it can be had: a daemon running as root
// next to its engine reads the volume's directory itself with the system's GNU tar, as
// `docker run -v VOLUME:/v … tar c` would, instead of through Docker's archive API (the
// engine's own tar through a temporary container and an HTTP stream: about three times
// as long). The archive is the same: entries rooted at VOLUME_ARCHIVE_ROOT/, owners and
// modes as numbers. Only archives out: one coming in is extracted by Docker inside a
// container (a crafted archive cannot reach the host's files), never here.

import { spawn, spawnSync } from 'node:child_process'
import { access, constants } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { PassThrough } from 'node:stream'
import type { Readable } from 'node:stream'
import { VOLUME_ARCHIVE_ROOT } from './constants.ts'

let gnuTar: boolean | undefined

/** True when this process may read volume directories itself: root, with GNU tar on the PATH. */
function hostTarUsable (): boolean {
  if (process.getuid?.() !== 0) return false
  gnuTar ??= /GNU tar/.test(spawnSync('tar', ['--version'], { encoding: 'utf8', timeout: 5000 }).stdout ?? '')
  return gnuTar
}

/** The volume's directory on this host when this process can read it with tar, else undefined. */
export async function readableMountpoint (mountpoint: string | undefined): Promise<string | undefined> {
  if (mountpoint === undefined || !mountpoint.startsWith('/') || !hostTarUsable()) return undefined
  try {
    await access(mountpoint, constants.R_OK | constants.X_OK)
    return mountpoint
  } catch {
    return undefined
  }
}

/**
 * The volume's content as a tar stream rooted at VOLUME_ARCHIVE_ROOT/. A file that changes
 * as it is read (a live volume) is a warning, as in Docker's archive; any other failure of
 * tar ends the stream with an error, never a short archive that looks whole.
 */
export function hostArchive (mountpoint: string): Readable {
  const out = new PassThrough({ highWaterMark: 1024 * 1024 })
  const name = basename(mountpoint)
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`hostArchive: unexpected volume directory ${mountpoint}`)
  const child = spawn('tar', [
    '--create', '--file=-', '--numeric-owner', '--warning=no-file-changed', '--warning=no-file-removed',
    `--directory=${dirname(mountpoint)}`,
    // Member and hard link names renamed; symlink targets left as they are.
    `--transform=s,^${name.replaceAll('.', '\\.')},${VOLUME_ARCHIVE_ROOT},rSh`,
    name
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  let settled = false
  child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-2000) })
  child.stdout.pipe(out, { end: false })
  const fail = (err: Error): void => { if (!settled) { settled = true; out.destroy(err) } }
  child.on('error', fail)
  child.on('close', (code) => {
    // GNU tar exits 1 when files changed as they were read, 2 on a fatal error.
    if (code !== 0 && code !== 1) { fail(new Error(`tar of ${mountpoint} failed (exit ${code ?? 'by a signal'}): ${stderr.trim()}`)); return }
    if (!settled) { settled = true; out.end() }
  })
  // A reader that gives up stops tar too.
  out.on('close', () => { if (child.exitCode === null) child.kill() })
  return out
}
