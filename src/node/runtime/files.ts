// A replica's secret and config files on the host, in memory only: each replica's files in
// a directory of their own under the node's files directory, on a tmpfs (refused
// otherwise), written before its container is created and bind-mounted read-only into it
// (container-spec.ts), removed with the container. A sweep removes those of containers
// that no longer exist, so a crash of meshd never leaves a secret behind for long.

import { statfsSync } from 'node:fs'
import { chmod, lstat, mkdir, open, readdir, rm } from 'node:fs/promises'
import { posix } from 'node:path'
import type { Logger } from '../../logger.ts'
import { TMPFS_MAGIC } from './constants.ts'
import { fileSource } from './container-spec.ts'
import { ReplicaFilesError } from './errors.ts'
import type { ReplicaFile } from './types.ts'

export interface ReplicaFilesInit {
  /** The node's files directory, created 0700 if absent; it must be on a tmpfs. */
  dir: string
  log: Logger
  /** Whether a directory is on a tmpfs; default statfs(2). For tests on a disk-backed tmpdir. */
  isTmpfs?: (dir: string) => boolean
}

/** A sweep in progress: finish it with the names of the containers that exist (or cancel it). */
export interface FilesSweep {
  /** Removes every container directory not named in `existing` and not written since the sweep began; returns the names removed. */
  finish(existing: Iterable<string>): Promise<string[]>
  cancel(): void
}

const MAX_ID = 2 ** 32 - 2

/** A Docker container name: one path component, never "." or "..". */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/

/** Why a replica file cannot be delivered, or undefined: a path absolute, normalised and not "/", a mode of permission bits, ids in range. */
export function replicaFileProblem (file: ReplicaFile): string | undefined {
  const { path } = file
  if (!posix.isAbsolute(path) || path.includes('\0')) return `"${path}" is not an absolute path`
  if (path === '/') return 'a file cannot be mounted at "/"'
  if (path.split('/').includes('..') || posix.normalize(path) !== path || path.endsWith('/')) return `"${path}" is not a normalised path`
  if (!Number.isInteger(file.mode) || file.mode < 0 || file.mode > 0o777) return `mode of ${path} is not between 0 and 0o777`
  for (const [name, id] of [['uid', file.uid], ['gid', file.gid]] as const) {
    if (!Number.isInteger(id) || id < 0 || id > MAX_ID) return `${name} of ${path} is not between 0 and ${MAX_ID}`
  }
  return undefined
}

/** True when `dir` is on a tmpfs. */
export function onTmpfs (dir: string): boolean {
  return statfsSync(dir).type === TMPFS_MAGIC
}

export class ReplicaFiles {
  readonly dir: string
  private readonly log: Logger
  private readonly isTmpfs: (dir: string) => boolean
  /** Containers whose files are written and whose run() has not settled yet: no sweep may take them. */
  private readonly writing = new Set<string>()
  /** Per sweep in progress, the containers it must spare: those being written when it began or since. */
  private readonly sweeps = new Set<Set<string>>()

  constructor (init: ReplicaFilesInit) {
    this.dir = init.dir
    this.log = init.log
    this.isTmpfs = init.isTmpfs ?? onTmpfs
  }

  /**
   * Writes a container's files (each with its mode and owner) into its own 0700 directory
   * and returns that directory; ReplicaFilesError when a file is invalid or the directory
   * would not be in memory. Call settled(name) once the container exists or failed.
   */
  async write (name: string, files: readonly ReplicaFile[]): Promise<string> {
    if (!CONTAINER_NAME.test(name)) throw new ReplicaFilesError('invalid-file', `"${name}" is not a container name`)
    validate(files)
    this.writing.add(name)
    for (const spared of this.sweeps) spared.add(name)
    await this.ensureDir()
    const dir = posix.join(this.dir, name)
    try {
      // A directory of this name is a leftover of an earlier run that crashed: start clean.
      await rm(dir, { recursive: true, force: true })
      await mkdir(dir, { mode: 0o700 })
      for (const [index, file] of files.entries()) await writeFile(fileSource(dir, index), file)
      return dir
    } catch (err) {
      await this.remove(name)
      if (err instanceof ReplicaFilesError) throw err
      throw new ReplicaFilesError('write-failed', `could not write the replica's files under ${dir}: ${(err as Error).message}`, { cause: err })
    }
  }

  /** The run() that wrote `name`'s files has ended: its container exists, or it failed and removed them. */
  settled (name: string): void {
    this.writing.delete(name)
  }

  /** Removes a container's files; absent is not an error, a failure is logged. Never through an unsafe files directory. */
  async remove (name: string): Promise<void> {
    if (!CONTAINER_NAME.test(name)) return
    try {
      if (await this.dirProblem() !== undefined) return
      await rm(posix.join(this.dir, name), { recursive: true, force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.error({ err, container: name }, 'could not remove the files of a replica')
    }
  }

  /** The names of the container directories (none when the files directory does not exist); throws when it is unsafe. */
  async names (): Promise<string[]> {
    const problem = await this.dirProblem().catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return 'absent'
      throw err
    })
    if (problem === 'absent') return []
    if (problem !== undefined) throw new ReplicaFilesError('unsafe-dir', problem)
    return await readdir(this.dir)
  }

  /** Starts a sweep: begin it before listing the containers, so a replica written meanwhile is spared. */
  startSweep (): FilesSweep {
    const spared = new Set(this.writing)
    this.sweeps.add(spared)
    return {
      finish: async (existing) => {
        try {
          const keep = new Set(existing)
          const orphans = (await this.names()).filter(name => CONTAINER_NAME.test(name) && !keep.has(name) && !spared.has(name))
          for (const name of orphans) await this.remove(name)
          if (orphans.length > 0) this.log.info({ containers: orphans }, 'removed the files of replicas whose containers are gone')
          return orphans
        } catch (err) {
          this.log.error({ err }, 'could not sweep the files of replicas whose containers are gone')
          return []
        } finally {
          this.sweeps.delete(spared)
        }
      },
      cancel: () => { this.sweeps.delete(spared) }
    }
  }

  /** Creates the files directory 0700 if absent; refuses one not owned by meshd alone or not on a tmpfs. */
  private async ensureDir (): Promise<void> {
    const { dir } = this
    let problem: string | undefined
    let inMemory = false
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      problem = await this.dirProblem()
      if (problem === undefined) {
        await chmod(dir, 0o700)
        inMemory = this.isTmpfs(dir)
      }
    } catch (err) {
      throw new ReplicaFilesError('write-failed', `could not prepare the replica files directory ${dir}: ${(err as Error).message}`, { cause: err })
    }
    if (problem !== undefined) throw new ReplicaFilesError('unsafe-dir', problem)
    if (!inMemory) {
      throw new ReplicaFilesError('not-tmpfs', `the replica files directory ${dir} is not on a tmpfs, and a secret must never be written to a disk: give a directory on a tmpfs (/dev/shm is one)`)
    }
  }

  /** Why the files directory must not be used, or undefined: it is a real directory of meshd's own. */
  private async dirProblem (): Promise<string | undefined> {
    // Under a world-writable parent (/dev/shm), another user could have made it first, or
    // a symlink to somewhere a sweep would empty.
    const stat = await lstat(this.dir)
    if (!stat.isDirectory()) return `the replica files directory ${this.dir} is not a directory (a symlink?): remove it`
    const uid = process.getuid?.()
    if (uid !== undefined && stat.uid !== uid) return `the replica files directory ${this.dir} belongs to uid ${stat.uid}, not to meshd (uid ${uid}): remove it`
    return undefined
  }
}

function validate (files: readonly ReplicaFile[]): void {
  const paths = new Set<string>()
  for (const file of files) {
    const problem = replicaFileProblem(file) ?? (paths.has(file.path) ? `two files at ${file.path}` : undefined)
    if (problem !== undefined) throw new ReplicaFilesError('invalid-file', `replica file refused: ${problem}`)
    paths.add(file.path)
  }
}

/** Creates `path` (never through an existing file or symlink), writes the content, then gives it its owner and mode. */
async function writeFile (path: string, file: ReplicaFile): Promise<void> {
  const handle = await open(path, 'wx', 0o600)
  try {
    await handle.writeFile(file.data)
    try {
      await handle.chown(file.uid, file.gid)
    } catch (err) {
      throw new ReplicaFilesError('write-failed', `could not give ${file.path} to ${file.uid}:${file.gid} (${(err as NodeJS.ErrnoException).code ?? 'error'}): only root can give a file to another user`, { cause: err })
    }
    // After chown, which clears set-id bits, and exactly: open's mode is subject to the umask.
    await handle.chmod(file.mode)
  } finally {
    await handle.close()
  }
}
