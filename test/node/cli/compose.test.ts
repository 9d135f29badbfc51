// `meshd stack config`, `meshd stack deploy` and `meshd deploy -f` with a Compose file,
// run by commander against a fake API on loopback: files next to the Compose file are
// read, and a deploy is ONE `PUT /v1/stacks/NAME` whose body holds every service.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { Command } from 'commander'
import { configView, loadComposeFile, registerComposeCommands } from '../../../src/node/cli/compose.ts'
import type { StackDeployAnswer } from '../../../src/node/cli/compose.ts'
import { isComposeFile, registerDeployCommand, specsOf } from '../../../src/node/cli/deploy.ts'

interface Sent { method: string, url: string, body: Record<string, unknown> }
const sent: Sent[] = []

const server = createServer((req, res) => {
  let text = ''
  req.on('data', (chunk: Buffer) => { text += chunk.toString() })
  req.on('end', () => {
    const body = JSON.parse(text === '' ? '{}' : text) as { services: Array<{ name: string }>, secrets?: Array<{ name: string }>, dryRun?: boolean }
    sent.push({ method: req.method ?? '', url: req.url ?? '', body })
    if (req.method !== 'PUT' || req.url !== '/v1/stacks/shop') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'MESHD_NOT_FOUND', message: 'no route' } }))
      return
    }
    if (body.services.some((s) => s.name === 'shop-bad')) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'MESHD_INVALID_SPEC', message: 'services[1].image: expected an image', path: 'services[1].image' } }))
      return
    }
    const answer: StackDeployAnswer = {
      stack: 'shop',
      services: body.services.map((s, i) => ({ name: s.name, action: i === 0 ? 'created' : 'unchanged', generation: 1 })),
      secrets: (body.secrets ?? []).map((s) => ({ name: s.name, action: 'created', version: 1 })),
      configs: [],
      removed: []
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer))
  })
})
let api = ''
const dir = mkdtempSync(join(tmpdir(), 'meshd-cli-compose-'))
const project = join(dir, 'Shop_App')
const file = join(project, 'compose.yaml')

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  mkdirSync(join(project, 'db'), { recursive: true })
  writeFileSync(join(project, 'db', 'password.txt'), 'pw')
  writeFileSync(join(project, '.env'), 'DB_IMAGE=meshd/postgres:15\nTAG=from-dotenv\n')
  writeFileSync(file, [
    'services:', '  db:', '    image: ${DB_IMAGE:-postgres}', '    secrets: [db-password]', '    container_name: db',
    '  web:', '    image: nginx:${TAG}', '    depends_on: {db: {condition: service_healthy}}',
    'secrets:', '  db-password:', '    file: db/password.txt', ''
  ].join('\n'))
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

function sink (): { stream: Writable, text: () => string } {
  const chunks: Buffer[] = []
  return { stream: new Writable({ write (chunk: Buffer, _e, done) { chunks.push(Buffer.from(chunk)); done() } }), text: () => Buffer.concat(chunks).toString() }
}

/** Runs `meshd stack ARGS`; what it printed and the requests it sent. */
async function run (args: string[]): Promise<{ out: string, err: string, requests: Sent[] }> {
  const out = sink()
  const err = sink()
  const program = new Command('meshd').exitOverride().configureOutput({ writeErr: () => {} })
  registerComposeCommands(program.command('stack'), { stdout: out.stream, stderr: err.stream })
  const before = sent.length
  await program.parseAsync(['stack', ...args], { from: 'user' })
  return { out: out.text(), err: err.text(), requests: sent.slice(before) }
}

const client = ['--api', 'API', '--api-token', 'test', '--detach']
const withApi = (args: string[]): string[] => args.map((arg) => arg === 'API' ? api : arg)

describe('loadComposeFile', () => {
  it('reads the .env beside the file, the files it names, and names the stack after the directory', async () => {
    const stack = await loadComposeFile(file)
    expect(stack.name).toBe('shop-app')
    expect(stack.services).toMatchObject([{ name: 'shop-app-db', image: 'meshd/postgres:15' }, { name: 'shop-app-web', image: 'nginx:from-dotenv' }])
    expect(stack.secrets).toEqual([{ name: 'shop-app-db-password', data: Buffer.from('pw').toString('base64') }])
    await expect(loadComposeFile(join(dir, 'none.yaml'))).rejects.toThrow(/none\.yaml: cannot read: ENOENT/)
  })
})

describe('meshd stack config', () => {
  it('prints the specs as YAML and the notes on stderr, never a secret\'s bytes', async () => {
    const { out, err, requests } = await run(['config', '-c', file, 'shop'])
    expect(requests).toEqual([])
    expect(out).toContain('name: shop-db\n')
    expect(out).toContain('  - name: shop-db-password\n    bytes: 2\n')
    expect(out).not.toContain(Buffer.from('pw').toString('base64'))
    expect(err).toBe(`note: ${file}:5:5: services.db.container_name: replicas are named by meshd (one name per replica, across nodes)\n`)
  })

  it('prints JSON with --json, and refuses with --strict', async () => {
    const { out } = await run(['config', '-c', file, 'shop', '--json'])
    expect(JSON.parse(out)).toEqual(configView(await loadComposeFile(file, { name: 'shop' })))
    await expect(run(['config', '-c', file, 'shop', '--strict'])).rejects.toThrow(/compose\.yaml:5:5: services\.db\.container_name: .*\(--strict\)$/)
  })
})

describe('meshd stack deploy', () => {
  it('sends one PUT with every service and the secret, and prints what changed', async () => {
    const { out, requests } = await run(withApi(['deploy', '-c', file, 'shop', '--prune', ...client]))
    expect(requests).toHaveLength(1)
    expect(requests[0]).toMatchObject({ method: 'PUT', url: '/v1/stacks/shop' })
    expect(requests[0]!.body).toEqual({
      services: [
        { name: 'shop-db', stack: 'shop', image: 'meshd/postgres:15', secrets: [{ source: 'shop-db-password', target: 'db-password' }] },
        { name: 'shop-web', stack: 'shop', image: 'nginx:from-dotenv', dependsOn: [{ service: 'shop-db', condition: 'healthy' }] }
      ],
      secrets: [{ name: 'shop-db-password', data: Buffer.from('pw').toString('base64') }],
      prune: true
    })
    expect(out).toBe('secret shop-db-password: created (version 1)\nshop-db: created, generation 1\nshop-web: unchanged\n')
  })

  it('--dry-run says what would change; --json prints the answer and the notes', async () => {
    const dry = await run(withApi(['deploy', '-c', file, 'shop', '--dry-run', ...client]))
    expect(dry.requests[0]!.body).toMatchObject({ dryRun: true })
    expect(dry.out).toContain('shop-db: would be created, generation 1\n')
    const json = await run(withApi(['deploy', '-c', file, 'shop', '--json', ...client]))
    expect(JSON.parse(json.out)).toMatchObject({ stack: 'shop', services: [{ name: 'shop-db' }, { name: 'shop-web' }], notes: [{ line: 5, path: 'services.db.container_name' }] })
  })

  it('sends nothing for an invalid file, and names the service of an API refusal', async () => {
    const bad = join(project, 'bad.yaml')
    writeFileSync(bad, 'services:\n  a:\n    image: x\n  b:\n    image: x\n  c:\n    image: x\n    ports: ["99999:80"]\n')
    const before = sent.length
    await expect(run(withApi(['deploy', '-c', bad, 'shop', ...client]))).rejects.toThrow(/bad\.yaml:8:13: services\.c\.ports\[0\]: expected a port/)
    expect(sent.length).toBe(before)
    writeFileSync(bad, 'services:\n  ok:\n    image: x\n  bad:\n    image: x\n')
    await expect(run(withApi(['deploy', '-c', bad, 'shop', ...client]))).rejects.toThrow(`${bad}:5:5: services.bad.image: service shop-bad: services[1].image: expected an image`)
  })
})

describe('meshd deploy -f', () => {
  it('tells a Compose file (a services map) from meshd spec files', () => {
    expect(isComposeFile({ services: { web: { image: 'nginx' } } })).toBe(true)
    expect(isComposeFile({ services: [{ name: 'web', image: 'nginx' }] })).toBe(false)
    expect(isComposeFile([{ name: 'web', image: 'nginx' }])).toBe(false)
    expect(isComposeFile({ name: 'web', image: 'nginx' })).toBe(false)
    expect(specsOf({ name: 'web', image: 'nginx' }, 'f')).toEqual([{ name: 'web', image: 'nginx' }])
    expect(specsOf({ services: [{ name: 'web' }] }, 'f')).toEqual([{ name: 'web' }])
    expect(() => specsOf({ services: 3 }, 'f')).toThrow(/services: expected a list of specs, or a Compose file's map of services/)
  })

  it('deploys a Compose file as one stack named by its name:, with --strict refusing notes', async () => {
    const compose = join(project, 'named.yaml')
    writeFileSync(compose, 'name: shop\nservices:\n  web:\n    image: nginx\n    hostname: web\n')
    const program = new Command('meshd').exitOverride().configureOutput({ writeErr: () => {} })
    registerDeployCommand(program)
    const printed: string[] = []
    const write = process.stdout.write.bind(process.stdout)
    process.stdout.write = ((chunk: string) => { printed.push(String(chunk)); return true }) as typeof process.stdout.write
    const before = sent.length
    try {
      await program.parseAsync(['deploy', '-f', compose, '--json', ...withApi(client)], { from: 'user' })
      await expect(program.parseAsync(['deploy', '-f', compose, '--strict', ...withApi(client)], { from: 'user' })).rejects.toThrow(/named\.yaml:5:5: services\.web\.hostname: .*\(--strict\)/)
    } finally {
      process.stdout.write = write
    }
    expect(sent.slice(before)).toEqual([{ method: 'PUT', url: '/v1/stacks/shop', body: { services: [{ name: 'shop-web', stack: 'shop', image: 'nginx' }] } }])
    expect(JSON.parse(printed.join(''))).toMatchObject({ stack: 'shop', notes: [{ line: 5, path: 'services.web.hostname' }] })
  })
})
