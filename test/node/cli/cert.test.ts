// `meshd cert add|ls|rm` parsed by commander and run against a fake API on loopback that
// records what it was sent: the certificate and key come from files (or stdin), never
// from an argument, and nothing of the key is printed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync } from 'node:fs'
import { Readable, Writable } from 'node:stream'
import { Command } from 'commander'
import { registerCertCommands } from '../../../src/node/cli/cert.ts'
import type { CertView } from '../../../src/node/certs/index.ts'

const fixturePath = (name: string): string => new URL(`../../fixtures/certs/${name}`, import.meta.url).pathname
interface Sent { method: string, url: string, body: unknown }
const sent: Sent[] = []
const shown: CertView = { host: 'a.test', services: ['web'], fingerprint: 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89', notAfter: Date.parse('2031-02-03T00:00:00Z'), source: 'manual', issuedBy: 'n1', updatedAt: 1, state: 'valid' }
const failing: CertView = { host: 'b.test', services: ['api'], state: 'failed', issuer: { node: 'n2', attempts: 2, lastError: 'connection refused', nextAttemptAt: Date.now() + 20_000 } }

const server = createServer((req, res) => {
  let text = ''
  req.on('data', (chunk: Buffer) => { text += chunk.toString() })
  req.on('end', () => {
    sent.push({ method: req.method ?? '', url: req.url ?? '', body: text === '' ? undefined : JSON.parse(text) })
    const answer = (status: number, json: unknown): void => { res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json)) }
    const route = `${req.method} ${req.url}`
    if (route === 'PUT /v1/certs/a.test' || route === 'PUT /v1/certs/*.w.test') answer(201, shown)
    else if (route === 'GET /v1/certs') answer(200, [shown, failing])
    else if (route === 'DELETE /v1/certs/a.test') answer(200, { removed: 'a.test' })
    else answer(404, { error: { code: 'MESHD_CERT_NOT_FOUND', message: 'no certificate for b.test' } })
  })
})
let api = ''
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => { await new Promise((resolve) => server.close(resolve)) })

async function run (args: string[], stdin = ''): Promise<{ out: string, request: Sent | undefined }> {
  const chunks: Buffer[] = []
  const stdout = new Writable({ write (chunk: Buffer, _encoding, done) { chunks.push(Buffer.from(chunk)); done() } })
  const program = new Command('meshd').exitOverride().configureOutput({ writeErr: () => {} })
  registerCertCommands(program, { stdout, stdin: Readable.from(stdin === '' ? [] : [stdin]) })
  const before = sent.length
  await program.parseAsync([...args, '--api', api, '--api-token', 'test'], { from: 'user' })
  return { out: Buffer.concat(chunks).toString(), request: sent.slice(before)[0] }
}

describe('meshd cert', () => {
  it('add sends the files\' PEM and prints the fingerprint and expiry, never the key', async () => {
    const { out, request } = await run(['cert', 'add', 'a.test', '--cert', fixturePath('a.crt'), '--key', fixturePath('a.key')])
    expect(request).toEqual({ method: 'PUT', url: '/v1/certs/a.test', body: { certificate: readFileSync(fixturePath('a.crt'), 'utf8'), key: readFileSync(fixturePath('a.key'), 'utf8') } })
    expect(out).toBe(`certificate a.test: ${shown.fingerprint} (expires 2031-02-03)\n`)
    expect(out).not.toContain('PRIVATE')
  })

  it('add reads the key from stdin with "-", takes a wildcard host, and --json prints the view', async () => {
    const { out, request } = await run(['cert', 'add', '*.w.test', '--cert', fixturePath('a.crt'), '--key', '-', '--json'], readFileSync(fixturePath('a.key'), 'utf8'))
    expect(request?.url).toBe('/v1/certs/*.w.test')
    expect((request?.body as { key: string }).key).toBe(readFileSync(fixturePath('a.key'), 'utf8'))
    expect(JSON.parse(out)).toEqual(shown)
  })

  it('add sends nothing without both files, or with a file it cannot read', async () => {
    const before = sent.length
    await expect(run(['cert', 'add', 'a.test', '--cert', fixturePath('a.crt')])).rejects.toThrow(/--key/)
    await expect(run(['cert', 'add', 'a.test', '--cert', '/nonexistent.crt', '--key', fixturePath('a.key')])).rejects.toThrow('--cert: cannot read /nonexistent.crt: ENOENT')
    await expect(run(['cert', 'add', 'a.test', '--cert', '-', '--key', '-'])).rejects.toThrow(/only one of them/)
    expect(sent.length).toBe(before)
  })

  it('ls prints the table with each host\'s state and last error, --json the views', async () => {
    const { out } = await run(['cert', 'ls'])
    const lines = out.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^HOST +STATE +SOURCE +EXPIRES +FINGERPRINT +ISSUER +LAST ERROR$/)
    expect(lines[1]).toMatch(/^a\.test +valid +manual +2031-02-03 +AB:CD:EF:01:23:45:67:89… +- +-$/)
    expect(lines[2]).toMatch(/^b\.test +failed +- +- +- +n2 +connection refused \(2×, next in 2\ds\)$/)
    expect(JSON.parse((await run(['cert', 'ls', '--json'])).out)).toEqual([shown, failing])
  })

  it('rm removes, and passes on the API\'s refusal', async () => {
    expect((await run(['cert', 'rm', 'a.test'])).out).toBe('removed a.test\n')
    expect(JSON.parse((await run(['cert', 'rm', 'a.test', '--json'])).out)).toEqual({ removed: 'a.test' })
    await expect(run(['cert', 'rm', 'b.test'])).rejects.toThrow('no certificate for b.test')
  })
})
