// A real ACME CA for tests: Debian's `pebble` (scripts/setup.sh installs it), never a mock.
// Its directory listens with a certificate made here by openssl (the package ships none),
// it validates HTTP-01 on `httpPort` of whatever address `dns` answers for the host, and
// its management port hands out the root it signs with.

import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { run } from './process.ts'

export interface PebbleOptions {
  host: string
  /** The directory's port; the management port is the next one. */
  port: number
  /** Where pebble sends HTTP-01 validations (the ingress HTTP port). */
  httpPort: number
  /** host:port of the DNS server pebble resolves names with. */
  dns: string
  /** Extra environment (PEBBLE_VA_NOSLEEP=1 is the default). */
  env?: Record<string, string>
}

export interface Pebble {
  directory: string
  /** The CA of the directory's HTTPS listener: what --acme-ca-file names. */
  caPem: string
  caFile: string
  /** The root pebble signs certificates with (fetched from its management port). */
  root: () => Promise<string>
  output: () => string
  stop: () => Promise<void>
}

/** Starts pebble; throws with its output when it does not come up within 15 s. */
export async function startPebble (opts: PebbleOptions): Promise<Pebble> {
  const dir = await mkdtemp(join(tmpdir(), 'meshd-pebble-'))
  const made = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=pebble',
    '-addext', `subjectAltName=IP:${opts.host},DNS:localhost`])
  if (made.code !== 0) throw new Error(`openssl: ${made.stderr}`)
  await writeFile(join(dir, 'config.json'), JSON.stringify({
    pebble: {
      listenAddress: `${opts.host}:${opts.port}`,
      managementListenAddress: `${opts.host}:${opts.port + 1}`,
      certificate: join(dir, 'cert.pem'),
      privateKey: join(dir, 'key.pem'),
      httpPort: opts.httpPort,
      tlsPort: opts.httpPort + 1,
      ocspResponderURL: '',
      externalAccountBindingRequired: false
    }
  }))
  const caPem = await readFile(join(dir, 'cert.pem'), 'utf8')
  const child: ChildProcess = spawn('pebble', ['-config', join(dir, 'config.json'), '-dnsserver', opts.dns], {
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const dispatcher = new Agent({ connect: { ca: caPem } })
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    }
    await dispatcher.close()
    await rm(dir, { recursive: true, force: true })
  }
  const started = Date.now()
  while (!/ACME directory available/.test(output)) {
    if (child.exitCode !== null || Date.now() - started > 15_000) {
      await stop()
      throw new Error(`pebble did not start: ${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    directory: `https://${opts.host}:${opts.port}/dir`,
    caPem,
    caFile: join(dir, 'cert.pem'),
    root: async () => {
      const answer = await request(`https://${opts.host}:${opts.port + 1}/roots/0`, { dispatcher })
      return await answer.body.text()
    },
    output: () => output,
    stop
  }
}
