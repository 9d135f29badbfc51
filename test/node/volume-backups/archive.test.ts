// Sealed volume archives (a `meshd volume backup` file, a stored backup): what goes in
// comes out; a changed byte, a cut, another cluster's key or another file is an error,
// never a short or altered archive; a store keeps files whole, 0600, never in plaintext.

import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { BackupStore, openArchive, sealArchive, storeKeyOf } from '../../../src/node/volume-backups/index.ts'

const key = storeKeyOf(randomBytes(32))
const collect = async (stream: Readable): Promise<Buffer> => {
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(part as Buffer)
  return Buffer.concat(parts)
}
const sealed = async (plain: Buffer): Promise<Buffer> => await collect(sealArchive(key, Readable.from([plain])).sealed)
const opened = async (file: Buffer, k = key): Promise<Buffer> => await collect(await openArchive(k, Readable.from([file]), 'test archive'))

describe('sealed volume archives', () => {
  const dirs: string[] = []
  afterAll(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }) })

  it('gives back exactly what was sealed, and none of it in clear', async () => {
    for (const size of [0, 1, 3 * 1024 * 1024 + 7]) {
      const plain = randomBytes(size)
      const file = await sealed(plain)
      expect((await opened(file)).equals(plain)).toBe(true)
    }
    const text = Buffer.from('a row of the database '.repeat(100))
    expect((await sealed(text)).includes(Buffer.from('a row of the database'))).toBe(false)
  })

  it('refuses a changed byte anywhere, a cut file, another key and another file', async () => {
    const plain = randomBytes(200_000)
    const file = await sealed(plain)
    for (const at of [0, 30, 40, Math.floor(file.length / 2), file.length - 1]) {
      const bad = Buffer.from(file)
      bad[at]! ^= 0x40
      await expect(opened(bad)).rejects.toThrow(/test archive/)
    }
    await expect(opened(file.subarray(0, file.length - 10))).rejects.toThrow(/test archive/)
    await expect(opened(file.subarray(0, 20))).rejects.toThrow(/cut short/)
    await expect(opened(file, storeKeyOf(randomBytes(32)))).rejects.toThrow(/test archive/)
    await expect(opened(Buffer.from('PGDMP not an archive at all, just some bytes'))).rejects.toThrow(/not a meshd volume archive/)
  })

  it('stores backups whole and sealed, 0600 in 0700 directories, and lists and removes them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshd-store-'))
    dirs.push(dir)
    const store = new BackupStore({ dir: join(dir, 'backups'), key })
    const plain = Buffer.from('volume content '.repeat(1000))
    const name = { service: 'db', slot: 0, source: 'data', at: 1000 }
    const summary = await store.write(name, Readable.from([plain]))
    expect(summary.bytes).toBe(plain.length)
    const path = join(dir, 'backups', 'db', '0', 'data', '1000.bak')
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, 'backups', 'db')).mode & 0o777).toBe(0o700)
    expect(readFileSync(path).includes(Buffer.from('volume content'))).toBe(false)
    expect((await collect((await store.open(name))!)).equals(plain)).toBe(true)
    expect(await store.list('db', 0, 'data')).toEqual([1000])
    // A source that fails midway leaves no file behind.
    const failing = new Readable({ read () { this.destroy(new Error('export failed')) } })
    await expect(store.write({ ...name, at: 2000 }, failing)).rejects.toThrow(/export failed/)
    expect(readdirSync(join(dir, 'backups', 'db', '0', 'data'))).toEqual(['1000.bak'])
    // A file changed on disk is refused as it is read.
    const bytes = readFileSync(path)
    bytes[bytes.length - 5]! ^= 1
    writeFileSync(path, bytes)
    await expect(collect((await store.open(name))!)).rejects.toThrow(/backup db#0\/data@1000/)
    await store.remove(name)
    expect(await store.open(name)).toBeUndefined()
  })
})
