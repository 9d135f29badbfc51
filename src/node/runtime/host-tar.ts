// A faster way out for a volume's archive, where it can be had: a daemon running as root
// next to its engine reads the volume's directory itself with the system's GNU tar, as
// `docker run -v VOLUME:/v … tar c` would, instead of through Docker's archive API (the
// engine's own tar through a temporary container and an HTTP stream: about three times
// as long). The archive is the same: entries rooted at VOLUME_ARCHIVE_ROOT/, owners and
// modes as numbers. An archive coming in is extracted the same way, into the volume's
// fresh directory (Docker's putArchive takes 1–2 s for 100 MiB; GNU tar 0.2 s).
//
// An archive may be crafted (an operator's restore file, a member's push), so extraction
// keeps GNU tar's defences on and adds ours: only members under VOLUME_ARCHIVE_ROOT/ are
// extracted (the member argument), renamed to the volume's own directory; tar strips a
// leading "/" and refuses names and hard link targets with ".."; a symbolic link whose
// target is absolute or has ".." is created only at the end, after every regular member
// (so no later member is written through it). What lands in the volume is what a
// container could have written there itself, and only containers mount it.

import { spawn, spawnSync } from 'node:child_process'
import { access, constants } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { PassThrough } from 'node:stream'
import { finished } from 'node:stream/promises'
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

/**
 * Extracts an archive rooted at VOLUME_ARCHIVE_ROOT/ into `mountpoint` (a fresh volume's
 * directory): the root entry's owner and mode become the directory's, members elsewhere
 * are ignored. Rejects when tar fails or the archive has no VOLUME_ARCHIVE_ROOT/; the
 * caller removes the half-made volume.
 */
export async function hostExtract (mountpoint: string, archive: Readable, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted()
  const name = basename(mountpoint)
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`hostExtract: unexpected volume directory ${mountpoint}`)
  const child = spawn('tar', [
    '--extract', '--file=-', '--numeric-owner', '--same-owner', '--preserve-permissions', '--warning=no-timestamp',
    `--directory=${dirname(mountpoint)}`,
    `--transform=s,^${VOLUME_ARCHIVE_ROOT}\\($\\|/\\),${name}\\1,rSh`,
    '--', VOLUME_ARCHIVE_ROOT
  ], { stdio: ['pipe', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-2000) })
  // The source must end whole, even after tar has what it needs: a transfer's length and
  // checksum are checked at its very end. tar may stop reading at the archive's end
  // marker (its input then breaks with EPIPE, ignored: its exit code says how it went).
  let failed: Error | undefined
  const source = finished(archive).catch((err: Error) => { failed ??= err })
  archive.once('error', () => { child.kill('SIGKILL') })
  child.stdin.on('error', () => {})
  archive.pipe(child.stdin)
  const abort = (): void => { archive.destroy(signal?.reason as Error) }
  signal?.addEventListener('abort', abort, { once: true })
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject)
      child.once('close', resolve)
    })
    if (code === 0) {
      archive.unpipe(child.stdin)
      archive.resume()
    } else {
      archive.destroy()
    }
    await source
    // Our own destroy after tar failed is no news; any other failure of the source is.
    if (failed !== undefined && (code === 0 || (failed as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE')) throw failed
    if (code !== 0) throw new Error(`tar into ${mountpoint} failed (exit ${code ?? 'by a signal'}): ${stderr.trim()}`)
  } finally {
    signal?.removeEventListener('abort', abort)
  }
}
