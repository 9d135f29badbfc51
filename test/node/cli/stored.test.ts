// `meshd secret|config` parsed by commander and run against a fake API on loopback that
// records what it was sent: the request each command makes and what it prints.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { Command } from 'commander'
import type { ConfigContentView, StoredView } from '../../../src/node/api/index.ts'
import { registerStoredCommands } from '../../../src/node/cli/stored.ts'

interface Sent { method: string, url: string, body: unknown }
const sent: Sent[] = []
const NOW = Date.now()
const view = (name: string, version: number, size: number): StoredView => ({
  name, version, versions: [version], createdAt: NOW, updatedAt: NOW, size,
  usedBy: [{ service: 'api', pinned: false, version, running: { [version]: 1 }, outdated: 0 }]
})
const CONFIG_BYTES = Buffer.from([0x6b, 0x3d, 0x00, 0xff, 0x0a])

// Answers by route, as the API's contract says; a DELETE of a used secret is a 409.
const server = createServer((req, res) => {
  let text = ''
  req.on('data', (chunk: Buffer) => { text += chunk.toString() })
  req.on('end', () => {
    const body = text === '' ? undefined : JSON.parse(text) as { name?: string, data?: string }
    sent.push({ method: req.method ?? '', url: req.url ?? '', body })
    const answer = (status: number, json: unknown): void => { res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json)) }
    const size = Buffer.from(body?.data ?? '', 'base64').byteLength
    const route = `${req.method} ${req.url}`
    if (route === 'POST /v1/secrets') answer(201, { ...view(body?.name ?? '', 1, size), usedBy: [] })
    else if (route === 'PUT /v1/secrets/db-pass') answer(200, view('db-pass', 2, size))
    else if (route === 'GET /v1/secrets') answer(200, [view('db-pass', 2, 32)])
    else if (route === 'DELETE /v1/secrets/db-pass') answer(409, { error: { code: 'MESHD_IN_USE', message: 'secret "db-pass" is used by api' } })
    else if (route === 'DELETE /v1/configs/app.yaml') answer(200, { removed: 'app.yaml' })
    else if (route === 'GET /v1/configs/app.yaml?show=1') answer(200, { ...view('app.yaml', 1, 5), data: CONFIG_BYTES.toString('base64') } satisfies ConfigContentView)
    else if (route === 'GET /v1/configs/app.yaml') answer(200, view('app.yaml', 1, 5))
    else answer(404, { error: { code: 'MESHD_NOT_FOUND', message: `no route ${route}` } })
  })
})
let api = ''
const dir = mkdtempSync(join(tmpdir(), 'meshd-cli-stored-'))

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

/** Runs `meshd ARGS` with the given stdin; what it printed, and the one request it sent. */
async function run (args: string[], stdin: Buffer | 'tty' = Buffer.alloc(0)): Promise<{ out: Buffer, request: Sent | undefined }> {
  const chunks: Buffer[] = []
  const stdout = new Writable({ write (chunk: Buffer, _encoding, done) { chunks.push(Buffer.from(chunk)); done() } })
  const input = Object.assign(Readable.from(stdin === 'tty' ? [] : [stdin]), { isTTY: stdin === 'tty' })
  const program = new Command('meshd').exitOverride().configureOutput({ writeErr: () => {} })
  registerStoredCommands(program, 'secret', { stdout, stdin: input })
  registerStoredCommands(program, 'config', { stdout, stdin: input })
  const before = sent.length
  await program.parseAsync([...args, '--api', api, '--api-token', 'test'], { from: 'user' })
  return { out: Buffer.concat(chunks), request: sent.slice(before)[0] }
}

describe('meshd secret', () => {
  it('create -f FILE sends the file\'s bytes in base64 and prints name and version', async () => {
    const file = join(dir, 'db-pass')
    writeFileSync(file, Buffer.from([0, 1, 2, 0xfe, 0x0a]))
    const { out, request } = await run(['secret', 'create', 'db-pass', '-f', file], 'tty')
    expect(request).toEqual({ method: 'POST', url: '/v1/secrets', body: { name: 'db-pass', data: 'AAEC/go=' } })
    expect(out.toString()).toBe('db-pass: created, version 1\n')
  })

  it('create reads stdin with "-", with -f -, or when stdin is not a terminal; --json prints the view', async () => {
    for (const source of [['-'], ['-f', '-'], []]) {
      const { request } = await run(['secret', 'create', 'db-pass', ...source], Buffer.from('s3cret\n'))
      expect(request?.body).toEqual({ name: 'db-pass', data: Buffer.from('s3cret\n').toString('base64') })
    }
    const { out } = await run(['secret', 'create', 'db-pass', '--json'], Buffer.from('s3cret'))
    expect(JSON.parse(out.toString())).toMatchObject({ name: 'db-pass', version: 1, size: 6 })
    expect(out.toString()).not.toContain(Buffer.from('s3cret').toString('base64'))
  })

  it('create sends nothing for a value given as an argument, an empty stdin or too much content', async () => {
    const before = sent.length
    await expect(run(['secret', 'create', 'db-pass', 'hunter2'])).rejects.toThrow(/never taken from an argument/)
    await expect(run(['secret', 'create', 'db-pass'], 'tty')).rejects.toThrow(/no content for the secret/)
    await expect(run(['secret', 'create', 'db-pass'])).rejects.toThrow('stdin is empty')
    await expect(run(['secret', 'create', 'db-pass', '-'], Buffer.alloc(512 * 1024 + 1))).rejects.toThrow(/more than 512 KiB/)
    expect(sent.length).toBe(before)
  })

  it('update sends the new content and says which services roll', async () => {
    const { out, request } = await run(['secret', 'update', 'db-pass', '-'], Buffer.from('n3w'))
    expect(request).toEqual({ method: 'PUT', url: '/v1/secrets/db-pass', body: { data: Buffer.from('n3w').toString('base64') } })
    expect(out.toString()).toBe('db-pass: updated, version 2\nrolling to version 2: api\n')
  })

  it('ls prints the table, --json the views', async () => {
    expect((await run(['secret', 'ls'])).out.toString()).toMatch(/^NAME {6}VERSION {3}SIZE {3}USED BY {3}UPDATED\ndb-pass {3}2 {9}32 B {3}api {7}\d+s\n$/)
    expect(JSON.parse((await run(['secret', 'ls', '--json'])).out.toString())).toEqual([view('db-pass', 2, 32)])
  })

  it('rm passes on the API\'s refusal; inspect has no --show', async () => {
    await expect(run(['secret', 'rm', 'db-pass'])).rejects.toThrow('secret "db-pass" is used by api')
    await expect(run(['secret', 'inspect', 'db-pass', '--show'])).rejects.toThrow(/unknown option '--show'/)
  })
})

describe('meshd config', () => {
  it('inspect prints the metadata; --show the bytes themselves; --show --json the view with data', async () => {
    const meta = await run(['config', 'inspect', 'app.yaml'])
    expect(meta.request?.url).toBe('/v1/configs/app.yaml')
    expect(meta.out.toString()).toContain('Name:      app.yaml\nKind:      config\n')
    const shown = await run(['config', 'inspect', 'app.yaml', '--show'])
    expect(shown.request?.url).toBe('/v1/configs/app.yaml?show=1')
    expect(shown.out).toEqual(CONFIG_BYTES)
    const json = JSON.parse((await run(['config', 'inspect', 'app.yaml', '--show', '--json'])).out.toString()) as ConfigContentView
    expect(Buffer.from(json.data, 'base64')).toEqual(CONFIG_BYTES)
  })

  it('rm prints what was removed, or the API\'s answer as JSON', async () => {
    expect((await run(['config', 'rm', 'app.yaml'])).out.toString()).toBe('app.yaml: removed\n')
    expect((await run(['config', 'rm', 'app.yaml', '--json'])).out.toString()).toBe('{"removed":"app.yaml"}\n')
  })
})
