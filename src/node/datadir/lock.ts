// One daemon per data dir. Two would append to one update log, each unaware of the
// other's records, and answer for one node id with two different states.
//
// The lock is a unix socket listening in the data dir. The kernel closes it when the
// process dies, however it dies (SIGKILL, OOM, power), so a crash never leaves a lock
// that keeps the node down: the socket file stays, but nothing answers on it, and the
// next start takes it over. A pid file cannot tell a live owner from a recycled pid;
// flock() is not in Node. Two starts over one stale file at the same instant could
// both take it over only if one removed the other's fresh socket between two syscalls:
// the file is removed only while it is still the one found dead.

import { mkdir, lstat, unlink } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import type { Server } from 'node:net'
import { join } from 'node:path'
import { DATA_DIR_MODE } from '../../crdt/index.ts'
import { StartupError } from '../errors.ts'

/** The lock's file in the data dir. */
export const LOCK_SOCKET = 'meshd.lock.sock'

// sun_path holds 108 bytes with the terminating NUL on Linux, 104 on macOS: the smaller.
const MAX_SOCKET_PATH_BYTES = 103

/** The data dir's lock, held until released or the process ends. */
export interface DataDirLock {
  /** Frees the lock (closes and removes the socket). Safe twice. */
  release(): Promise<void>
}

/** Another live process holds the data dir's lock. */
export class DataDirLockedError extends StartupError {
  readonly dir: string

  constructor (dir: string, advice = 'stop it first, or give this node its own --data-dir') {
    super(`another meshd daemon is running on the data dir ${dir} (it answers on ${join(dir, LOCK_SOCKET)}); ${advice}`)
    this.name = 'DataDirLockedError'
    this.dir = dir
  }
}

/** Takes the lock of `dir` (created 0700 if missing); throws DataDirLockedError while a live process holds it. */
export async function lockDataDir (dir: string): Promise<DataDirLock> {
  const path = join(dir, LOCK_SOCKET)
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new StartupError(`the data dir path ${dir} is too long for its lock socket (${Buffer.byteLength(path)} bytes, ` +
      `unix sockets allow ${MAX_SOCKET_PATH_BYTES}): use a shorter --data-dir`)
  }
  await mkdir(dir, { recursive: true, mode: DATA_DIR_MODE })
  // Two rounds: the second follows the removal of a stale socket.
  for (let round = 0; round < 2; round++) {
    const server = await listen(path)
    if (server !== undefined) return held(server)
    const found = await lstat(path).catch(() => undefined)
    if (found === undefined) continue // gone meanwhile: listen again
    if (!found.isSocket()) throw new StartupError(`${path} exists and is not meshd's lock socket: move it out of the data dir`)
    if (await answers(path)) throw new DataDirLockedError(dir)
    const now = await lstat(path).catch(() => undefined)
    if (now?.ino === found.ino && now.dev === found.dev) await unlink(path).catch(ignoreMissing)
  }
  throw new StartupError(`could not take the lock ${path}: it changed hands while this daemon started; is another meshd starting on ${dir}?`)
}

/** True when a live process holds the lock of `dir`; takes nothing. */
export async function dataDirLocked (dir: string): Promise<boolean> {
  return await answers(join(dir, LOCK_SOCKET))
}

function held (server: Server): DataDirLock {
  let released: Promise<void> | undefined
  return {
    release: async () => {
      released ??= new Promise<void>((resolve) => { server.close(() => { resolve() }) })
      await released
    }
  }
}

// The listening server, or undefined when the path is taken (by a live socket or a stale file).
async function listen (path: string): Promise<Server | undefined> {
  // Whoever connects only learns that the lock is held: hang up at once.
  const server = createServer((socket) => { socket.destroy() })
  return await new Promise<Server | undefined>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(undefined)
      else reject(err)
    })
    server.listen(path, () => {
      // The lock must not keep a process alive that has nothing else to do.
      server.unref()
      resolve(server)
    })
  })
}

// A live holder accepts the connection; a dead one's file refuses it (or is gone).
async function answers (path: string): Promise<boolean> {
  return await new Promise<boolean>((resolve, reject) => {
    const socket = createConnection(path)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(false)
      else reject(new StartupError(`cannot tell whether a daemon holds ${path}: ${err.message}`))
    })
  })
}

function ignoreMissing (err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err
}
