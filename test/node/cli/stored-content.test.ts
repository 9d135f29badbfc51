// Where `meshd secret|config create|update` take content from, and how it is read: never
// an argument, never typed on a terminal for a secret, bytes as they are, at most 512 KiB.

import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { contentSource, MAX_STORED_BYTES, readContent, sizeText } from '../../../src/node/cli/stored-content.ts'

const dirs: string[] = []
afterEach(() => { for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true }) })

function fileWith (content: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshd-cli-stored-'))
  dirs.push(dir)
  writeFileSync(join(dir, 'content'), content)
  return join(dir, 'content')
}

const none = Readable.from([])

describe('the content source', () => {
  it('is the file of -f, whatever stdin is', () => {
    expect(contentSource('secret', 'create db', { file: 'pw.txt' }, true)).toEqual({ from: 'file', path: 'pw.txt' })
    expect(contentSource('secret', 'create db', { file: 'pw.txt' }, false)).toEqual({ from: 'file', path: 'pw.txt' })
  })

  it('is stdin with "-" (as -f or as the argument) or when stdin is not a terminal', () => {
    expect(contentSource('secret', 'create db', { file: '-' }, false)).toEqual({ from: 'stdin' })
    expect(contentSource('secret', 'create db', { dash: '-' }, false)).toEqual({ from: 'stdin' })
    expect(contentSource('secret', 'create db', { dash: '-', file: '-' }, false)).toEqual({ from: 'stdin' })
    expect(contentSource('secret', 'create db', {}, false)).toEqual({ from: 'stdin' })
  })

  it('is never an argument, and the refusal does not repeat it', () => {
    const refusal = (): unknown => contentSource('secret', 'create db', { dash: 'hunter2' }, false)
    expect(refusal).toThrow(/never taken from an argument.*treat it as exposed.*meshd secret create db - < FILE/)
    try { refusal() } catch (err) { expect((err as Error).message).not.toContain('hunter2') }
    expect(() => contentSource('config', 'update app', { dash: 'x=1' }, false)).toThrow(/a config's content is never taken from an argument, which ps and shell history show: give -f FILE/)
  })

  it('explains how to give content when there is none, without prompting on a terminal', () => {
    expect(() => contentSource('secret', 'create db', {}, true))
      .toThrow('no content for the secret (stdin is a terminal): give -f FILE, or the content on stdin: meshd secret create db - < FILE')
    expect(() => contentSource('secret', 'update db', { dash: '-' }, true)).toThrow(/stdin is a terminal, which would echo the secret/)
    expect(() => contentSource('secret', 'update db', { file: '-' }, true)).toThrow(/would echo the secret/)
    // A config is no secret: typed on a terminal, ended by Ctrl-D.
    expect(contentSource('config', 'create app', { dash: '-' }, true)).toEqual({ from: 'stdin' })
  })

  it('refuses both a file and "-"', () => {
    expect(() => contentSource('config', 'create app', { dash: '-', file: 'a.yaml' }, false)).toThrow(/either from -f FILE or from stdin/)
  })
})

describe('reading the content', () => {
  it('keeps the bytes of a file as they are, binary and final newline included', async () => {
    const bytes = Buffer.from([0, 255, 10, 13, 0xc3, 0x28, 10])
    expect(await readContent('secret', { from: 'file', path: fileWith(bytes) }, none)).toEqual(bytes)
  })

  it('reads stdin to its end, in chunks', async () => {
    const stdin = Readable.from([Buffer.from('user='), Buffer.from([0, 1]), Buffer.from('\n')])
    expect(await readContent('config', { from: 'stdin' }, stdin)).toEqual(Buffer.from('user=\u0000\u0001\n', 'latin1'))
  })

  it('takes 512 KiB and refuses one byte more, from a file or stdin', async () => {
    const full = Buffer.alloc(MAX_STORED_BYTES, 7)
    expect((await readContent('secret', { from: 'file', path: fileWith(full) }, none)).byteLength).toBe(MAX_STORED_BYTES)
    const over = fileWith(Buffer.alloc(MAX_STORED_BYTES + 1, 7))
    await expect(readContent('secret', { from: 'file', path: over }, none)).rejects.toThrow(`${over} holds more than 512 KiB: a secret holds at most 512 KiB`)
    const endless = Readable.from((function * () { for (;;) yield Buffer.alloc(64 * 1024) })())
    await expect(readContent('config', { from: 'stdin' }, endless)).rejects.toThrow('stdin holds more than 512 KiB: a config holds at most 512 KiB')
  })

  it('refuses empty content and names a file it cannot read', async () => {
    await expect(readContent('secret', { from: 'stdin' }, Readable.from([]))).rejects.toThrow('stdin is empty: a secret needs content')
    await expect(readContent('secret', { from: 'file', path: '/nonexistent/pw' }, none)).rejects.toThrow('cannot read /nonexistent/pw: no such file')
    await expect(readContent('secret', { from: 'file', path: tmpdir() }, none)).rejects.toThrow(`cannot read ${tmpdir()}: it is a directory`)
  })
})

describe('sizes for people', () => {
  it('says bytes, KiB and MiB', () => {
    expect([0, 312, 1024, 1536, MAX_STORED_BYTES, 3 * 1024 * 1024].map(sizeText)).toEqual(['0 B', '312 B', '1 KiB', '1.5 KiB', '512 KiB', '3 MiB'])
  })
})
