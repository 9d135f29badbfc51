import { afterEach, describe, expect, it } from 'vitest'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { secureDataDir } from '../../../src/node/datadir/index.ts'

const dirs: string[] = []
afterEach(() => { for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true }) })

function newDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshd-datadir-'))
  dirs.push(dir)
  return dir
}

const modeOf = (path: string): number => statSync(path).mode & 0o777

describe('secureDataDir', () => {
  it('creates a missing dir 0700', async () => {
    const dir = join(newDir(), 'nested', 'data')
    expect(await secureDataDir(dir)).toEqual([])
    expect(modeOf(dir)).toBe(0o700)
  })

  it('sets an existing dir to 0700 and each file in it to 0600, and says what it changed', async () => {
    const dir = newDir()
    chmodSync(dir, 0o755)
    writeFileSync(join(dir, 'node.key'), 'k', { mode: 0o644 })
    writeFileSync(join(dir, 'document.log'), '', { mode: 0o600 })
    writeFileSync(join(dir, 'api.token'), 't', { mode: 0o666 })
    chmodSync(join(dir, 'api.token'), 0o666)
    expect((await secureDataDir(dir)).sort()).toEqual([dir, join(dir, 'api.token'), join(dir, 'node.key')])
    for (const file of ['node.key', 'document.log', 'api.token']) expect(modeOf(join(dir, file))).toBe(0o600)
    expect(modeOf(dir)).toBe(0o700)
    expect(await secureDataDir(dir)).toEqual([])
  })

  it('leaves symlinks and subdirectories alone', async () => {
    const dir = newDir()
    const outside = join(newDir(), 'shared.conf')
    writeFileSync(outside, 'x', { mode: 0o644 })
    symlinkSync(outside, join(dir, 'link'))
    mkdirSync(join(dir, 'sub'), { mode: 0o755 })
    await secureDataDir(dir)
    expect(modeOf(outside)).toBe(0o644)
    expect(modeOf(join(dir, 'sub'))).toBe(0o755)
  })
})
