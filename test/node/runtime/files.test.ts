// A replica's files on the host: written by index with their modes and owners into a 0700
// directory, refused off a tmpfs, removed, and swept once their container is gone. A
// temporary directory stands in for the tmpfs (the check is injected) except where the
// real check looks at /dev/shm.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../../src/logger.ts'
import { ReplicaFilesError } from '../../../src/node/runtime/errors.ts'
import { onTmpfs, ReplicaFiles, replicaFileProblem } from '../../../src/node/runtime/files.ts'
import type { ReplicaFile } from '../../../src/node/runtime/types.ts'

const uid = process.getuid?.() ?? 0
const gid = process.getgid?.() ?? 0

function file (fields: Partial<ReplicaFile> = {}): ReplicaFile {
  return { path: '/run/secrets/db-pass', data: Buffer.from('hunter2'), mode: 0o400, uid, gid, ...fields }
}

let parent: string
let root: string

beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'meshd-files-'))
  root = join(parent, 'meshd-n1')
})
afterEach(() => { rmSync(parent, { recursive: true, force: true }) })

function files (isTmpfs: (dir: string) => boolean = () => true): ReplicaFiles {
  return new ReplicaFiles({ dir: root, log: silentLogger, isTmpfs })
}

async function refusal (promise: Promise<unknown>): Promise<ReplicaFilesError> {
  const err = await promise.then(() => undefined, (e: unknown) => e)
  expect(err).toBeInstanceOf(ReplicaFilesError)
  return err as ReplicaFilesError
}

describe('replicaFileProblem', () => {
  it('accepts an absolute, normalised path with permission bits and ids in range', () => {
    expect(replicaFileProblem(file())).toBeUndefined()
    expect(replicaFileProblem(file({ path: '/a', mode: 0o777, uid: 65534, gid: 0 }))).toBeUndefined()
  })

  it.each([
    ['run/secrets/x', /absolute/], ['./x', /absolute/], ['', /absolute/], ['/run/\0x', /absolute/],
    ['/run/../etc/shadow', /normalised/], ['/run/secrets/..', /normalised/], ['/run//x', /normalised/],
    ['/run/./x', /normalised/], ['/run/x/', /normalised/], ['/', /cannot be mounted at "\/"/]
  ])('refuses the path %j', (path, reason) => {
    expect(replicaFileProblem(file({ path }))).toMatch(reason)
  })

  it('refuses set-id bits, fractions and ids out of range', () => {
    expect(replicaFileProblem(file({ mode: 0o4755 }))).toMatch(/mode/)
    expect(replicaFileProblem(file({ mode: 0.5 }))).toMatch(/mode/)
    expect(replicaFileProblem(file({ uid: -1 }))).toMatch(/uid/)
    expect(replicaFileProblem(file({ gid: 2 ** 32 }))).toMatch(/gid/)
  })
})

describe('ReplicaFiles', () => {
  it('writes each file by index with its content, mode and owner, in 0700 directories', async () => {
    const dir = await files().write('meshd-n1-web-0-g1-abcd', [file(), file({ path: '/etc/app.yml', data: Buffer.from('a: 1'), mode: 0o644 })])
    expect(dir).toBe(join(root, 'meshd-n1-web-0-g1-abcd'))
    expect(readdirSync(dir)).toEqual(['0', '1'])
    expect(readFileSync(join(dir, '0'), 'utf8')).toBe('hunter2')
    expect(readFileSync(join(dir, '1'), 'utf8')).toBe('a: 1')
    // Exactly the modes asked for, whatever the umask.
    expect(statSync(join(dir, '0')).mode & 0o7777).toBe(0o400)
    expect(statSync(join(dir, '1')).mode & 0o7777).toBe(0o644)
    expect(statSync(join(dir, '0'))).toMatchObject({ uid, gid })
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    expect(statSync(root).mode & 0o777).toBe(0o700)
  })

  it.runIf(uid === 0)('gives each file to its uid and gid', async () => {
    const dir = await files().write('c1', [file({ uid: 1000, gid: 1001 }), file({ path: '/b', uid: 0, gid: 65534 })])
    expect(statSync(join(dir, '0'))).toMatchObject({ uid: 1000, gid: 1001 })
    expect(statSync(join(dir, '1'))).toMatchObject({ uid: 0, gid: 65534 })
  })

  it('refuses to write off a tmpfs, and writes nothing', async () => {
    const err = await refusal(files(() => false).write('c1', [file()]))
    expect(err.code).toBe('not-tmpfs')
    expect(err.message).toContain(root)
    expect(readdirSync(root)).toEqual([])
  })

  it('refuses a container name that is not one path component', async () => {
    for (const name of ['..', '../x', 'a/b', '']) expect((await refusal(files().write(name, [file()]))).code).toBe('invalid-file')
    expect(existsSync(root)).toBe(false)
  })

  it('refuses an invalid file or two files at one path before writing anything', async () => {
    expect((await refusal(files().write('c1', [file(), file({ path: '/x/../etc/passwd' })]))).code).toBe('invalid-file')
    expect((await refusal(files().write('c1', [file(), file({ mode: 0o400 })]))).message).toMatch(/two files at \/run\/secrets\/db-pass/)
    expect(existsSync(root)).toBe(false)
  })

  it('refuses a files directory that is a symlink, and never sweeps through one', async () => {
    const elsewhere = join(parent, 'elsewhere')
    mkdirSync(elsewhere)
    writeFileSync(join(elsewhere, 'precious'), 'x')
    symlinkSync(elsewhere, root)
    expect((await refusal(files().write('c1', [file()]))).code).toBe('unsafe-dir')
    expect(await files().startSweep().finish([])).toEqual([])
    await files().remove('precious')
    expect(readdirSync(elsewhere)).toEqual(['precious'])
  })

  it('removes the files of one container, and starts clean over a leftover of the same name', async () => {
    const replicaFiles = files()
    const dir = await replicaFiles.write('c1', [file(), file({ path: '/b' })])
    await replicaFiles.write('c1', [file({ data: Buffer.from('new') })])
    expect(readdirSync(dir)).toEqual(['0'])
    expect(readFileSync(join(dir, '0'), 'utf8')).toBe('new')
    await replicaFiles.remove('c1')
    await replicaFiles.remove('c1')
    expect(readdirSync(root)).toEqual([])
  })

  it('sweeps the files of containers that are gone, sparing those written while the sweep ran', async () => {
    const replicaFiles = files()
    expect(await replicaFiles.names()).toEqual([])
    for (const name of ['gone', 'kept']) {
      await replicaFiles.write(name, [file()])
      replicaFiles.settled(name)
    }
    await replicaFiles.write('in-flight', [file()])
    const sweep = replicaFiles.startSweep()
    // Written after the sweep began (its container may be missing from the list) and settled before it ends.
    await replicaFiles.write('since', [file()])
    replicaFiles.settled('since')
    replicaFiles.settled('in-flight')
    expect(await sweep.finish(['kept'])).toEqual(['gone'])
    expect((await replicaFiles.names()).sort()).toEqual(['in-flight', 'kept', 'since'])
    // The next sweep sees them settled: only containers that exist keep their files.
    expect((await replicaFiles.startSweep().finish(['kept'])).sort()).toEqual(['in-flight', 'since'])
  })

  it('sweeps nothing when the files directory was never made', async () => {
    expect(await files().startSweep().finish([])).toEqual([])
    expect(await files().names()).toEqual([])
  })
})

describe('onTmpfs', () => {
  it.runIf(existsSync('/dev/shm'))('finds /dev/shm on a tmpfs', () => {
    expect(onTmpfs('/dev/shm')).toBe(true)
  })

  it.runIf(existsSync('/dev/shm'))('lets the files be written under /dev/shm with the real check', async () => {
    const shm = mkdtempSync('/dev/shm/meshd-files-test-')
    try {
      const dir = await new ReplicaFiles({ dir: join(shm, 'meshd-n1'), log: silentLogger }).write('c1', [file()])
      expect(readFileSync(join(dir, '0'), 'utf8')).toBe('hunter2')
    } finally {
      rmSync(shm, { recursive: true, force: true })
    }
  })
})
