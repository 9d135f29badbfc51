import { afterEach, describe, expect, it } from 'vitest'
import { existsSync, linkSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DataDirLockedError, LOCK_SOCKET, dataDirLocked, lockDataDir } from '../../../src/node/datadir/index.ts'
import type { DataDirLock } from '../../../src/node/datadir/index.ts'

const dirs: string[] = []
const locks: DataDirLock[] = []
afterEach(async () => {
  for (const lock of locks.splice(0)) await lock.release()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function newDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshd-lock-'))
  dirs.push(dir)
  return dir
}

async function lock (dir: string): Promise<DataDirLock> {
  const taken = await lockDataDir(dir)
  locks.push(taken)
  return taken
}

describe('lockDataDir', () => {
  it('refuses a second lock on the same dir, naming the dir, until the first is released', async () => {
    const dir = newDir()
    const first = await lock(dir)
    expect(await dataDirLocked(dir)).toBe(true)
    const err: unknown = await lockDataDir(dir).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DataDirLockedError)
    expect(String((err as Error).message)).toContain(`another meshd daemon is running on the data dir ${dir}`)

    await first.release()
    await first.release() // safe twice
    expect(existsSync(join(dir, LOCK_SOCKET))).toBe(false)
    expect(await dataDirLocked(dir)).toBe(false)
    await lock(dir)
  })

  it('locks dirs independently', async () => {
    await lock(newDir())
    await lock(newDir())
  })

  it('takes over the socket file a dead daemon left', async () => {
    const dir = newDir()
    // A socket file nobody listens on, as a SIGKILL leaves it: link a live socket's
    // file to the lock's name, then close the live one (which removes only its own name).
    const other = join(dir, 'other.sock')
    const server = createServer()
    await new Promise<void>((resolve) => { server.listen(other, resolve) })
    linkSync(other, join(dir, LOCK_SOCKET))
    await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    expect(lstatSync(join(dir, LOCK_SOCKET)).isSocket()).toBe(true)
    expect(await dataDirLocked(dir)).toBe(false)

    await lock(dir)
    expect(await dataDirLocked(dir)).toBe(true)
    await expect(lockDataDir(dir)).rejects.toThrow(DataDirLockedError)
  })

  it('leaves a file that is not a socket alone', async () => {
    const dir = newDir()
    writeFileSync(join(dir, LOCK_SOCKET), 'not a socket')
    await expect(lockDataDir(dir)).rejects.toThrow(/is not meshd's lock socket/)
    expect(readFileSync(join(dir, LOCK_SOCKET), 'utf8')).toBe('not a socket')
  })

  it('creates a missing dir 0700', async () => {
    const dir = join(newDir(), 'data')
    await lock(dir)
    expect(lstatSync(dir).mode & 0o777).toBe(0o700)
  })

  it('says when the dir path is too long for a unix socket', async () => {
    await expect(lockDataDir(join(newDir(), 'x'.repeat(120)))).rejects.toThrow(/too long for its lock socket/)
  })
})
