// The data dir is private to the daemon's user: it holds the node key, the cluster
// secret, the API token and the cluster document (every service's environment). Files
// are created 0600 where they are written; this also fixes a dir made before that was
// so, or files an operator copied in with their umask's mode.

import { chmod, lstat, mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { DATA_DIR_MODE, DATA_FILE_MODE } from '../../crdt/index.ts'

/** Creates `dir` (0700) if missing and sets it to 0700 and each regular file in it to 0600; returns the paths it changed. */
export async function secureDataDir (dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true, mode: DATA_DIR_MODE })
  const changed: string[] = []
  if (await setMode(dir, DATA_DIR_MODE)) changed.push(dir)
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    // Regular files only: chmod follows symlinks, and the lock socket is not a file.
    if (!entry.isFile()) continue
    const path = join(dir, entry.name)
    if (await setMode(path, DATA_FILE_MODE)) changed.push(path)
  }
  return changed
}

async function setMode (path: string, mode: number): Promise<boolean> {
  if (((await lstat(path)).mode & 0o777) === mode) return false
  await chmod(path, mode)
  return true
}
