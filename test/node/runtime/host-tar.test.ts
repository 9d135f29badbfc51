// GNU tar on the host, both ways: a volume's archive out, and in, where a crafted archive
// must not write outside the volume's directory. Needs root and GNU tar (as the daemon does).

import { spawnSync } from 'node:child_process'
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile, chmod, chown } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hostArchive, hostExtract } from '../../../src/node/runtime/host-tar.ts'

const usable = process.getuid?.() === 0 && /GNU tar/.test(spawnSync('tar', ['--version'], { encoding: 'utf8' }).stdout ?? '')

function tar (cwd: string, args: string[]): Buffer {
  const run = spawnSync('tar', args, { cwd, maxBuffer: 64 * 2 ** 20 })
  if (run.status !== 0) throw new Error(`tar ${args.join(' ')}: ${run.stderr.toString()}`)
  return run.stdout
}

async function collect (stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

describe.skipIf(!usable)('volume archives with the host\'s GNU tar', () => {
  let dir: string
  /** A fresh "volume": DIR/NAME/_data, as Docker's local driver lays it out. */
  let volumes = 0
  const freshVolume = async (): Promise<string> => {
    const data = join(dir, `v${volumes++}`, '_data')
    await mkdir(data, { recursive: true })
    return data
  }

  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'meshd-host-tar-')) })
  afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

  it('round-trips a tree: bytes, modes, numeric owners, the root directory\'s own owner and mode, links', async () => {
    const source = await freshVolume()
    await mkdir(join(source, 'sub'))
    await writeFile(join(source, 'sub', 'file'), 'rows')
    await chown(join(source, 'sub', 'file'), 70, 71)
    await symlink('sub/file', join(source, 'link'))
    await chmod(source, 0o700)
    await chown(source, 999, 998)
    const target = await freshVolume()
    await hostExtract(target, hostArchive(source))
    expect(await readFile(join(target, 'sub', 'file'), 'utf8')).toBe('rows')
    expect((await stat(join(target, 'sub', 'file'))).uid).toBe(70)
    expect(await readlink(join(target, 'link'))).toBe('sub/file')
    const root = await stat(target)
    expect([root.mode & 0o777, root.uid, root.gid]).toEqual([0o700, 999, 998])
  })

  it('writes nothing outside the volume: ".." names, absolute names, a symlink to outside then a file through it, members outside the root', async () => {
    const work = await mkdtemp(join(dir, 'craft-'))
    const outside = join(dir, 'outside')
    await mkdir(outside)
    await mkdir(join(work, 'meshd-volume'))
    await writeFile(join(work, 'meshd-volume', 'ok'), 'fine')
    for (const file of ['a', 'b', 'c']) await writeFile(join(work, file), 'evil')
    // A symlink meshd-volume/link → the outside directory, then meshd-volume/link/pwned, in one archive.
    await symlink(outside, join(work, 'meshd-volume', 'link'))
    const crafted = tar(work, ['-cf', '-',
      '--transform=s,^a$,meshd-volume/link/pwned,', '--transform=s,^b$,meshd-volume/../escaped,', '--transform=s,^c$,elsewhere,',
      'meshd-volume/ok', 'meshd-volume/link', 'a', 'b', 'c'])
    const members = spawnSync('tar', ['-tf', '-'], { input: crafted }).stdout.toString().split('\n')
    expect(members).toEqual(expect.arrayContaining(['meshd-volume/link', 'meshd-volume/link/pwned', 'meshd-volume/../escaped', 'elsewhere']))
    const target = await freshVolume()
    await hostExtract(target, Readable.from([crafted])).catch(() => {})
    await expect(lstat(join(outside, 'pwned'))).rejects.toThrow()
    await expect(lstat(join(dir, 'escaped'))).rejects.toThrow()
    await expect(lstat(join(target, '..', 'elsewhere'))).rejects.toThrow()
    expect(await readFile(join(target, 'ok'), 'utf8')).toBe('fine')
  })

  it('refuses an archive without the volume root, and a truncated one', async () => {
    const work = await mkdtemp(join(dir, 'other-'))
    await writeFile(join(work, 'file'), 'x'.repeat(100_000))
    await expect(hostExtract(await freshVolume(), Readable.from([tar(work, ['-cf', '-', 'file'])]))).rejects.toThrow(/tar into/)
    const source = await freshVolume()
    await writeFile(join(source, 'big'), Buffer.alloc(200_000, 7))
    const whole = await collect(hostArchive(source))
    await expect(hostExtract(await freshVolume(), Readable.from([whole.subarray(0, 100_000)]))).rejects.toThrow(/tar into/)
    const failing = new Readable({ read () { this.push(whole.subarray(0, 50_000)); this.destroy(new Error('the transfer broke')) } })
    await expect(hostExtract(await freshVolume(), failing)).rejects.toThrow(/the transfer broke/)
  })
})
