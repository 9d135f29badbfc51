// `meshd cert add|ls|rm`: the ingress' TLS certificates. A certificate and its key are
// read from files (--key "-": stdin), never from the command line, where `ps` shows it;
// the node checks them and seals the key before anything is written.

import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import type { CertView } from '../certs/index.ts'
import { clientOf, withClientOptions } from './connection.ts'
import type { ClientFlags } from './connection.ts'
import { ago, table } from './table.ts'

interface AddFlags extends ClientFlags { cert: string, key: string }

/** Where the commands print and read stdin (tests give their own). */
export interface CertIo { stdout: NodeJS.WritableStream, stdin: AsyncIterable<unknown> }

export function registerCertCommands (program: Command, io: CertIo = { stdout: process.stdout, stdin: process.stdin }): void {
  const cert = program.command('cert').description('TLS certificates of the ingress: by hand, or issued by ACME (--acme-directory)')

  withClientOptions(cert.command('add').description('add or replace the certificate of a host (exact, or "*.example.com")')
    .argument('<host>', 'the host it serves')
    .requiredOption('--cert <file>', 'the certificate chain, PEM, leaf first')
    .requiredOption('--key <file>', 'its private key, PEM, unencrypted ("-": stdin); sealed in the cluster document'))
    .action(async (host: string, flags: AddFlags) => {
      if (flags.cert === '-' && flags.key === '-') throw new Error('--cert, --key: only one of them can be read from stdin')
      const body = { certificate: await readPem('--cert', flags.cert, io.stdin), key: await readPem('--key', flags.key, io.stdin) }
      const added = await clientOf(flags).put<CertView>(`/v1/certs/${encodeURIComponent(host)}`, body)
      io.stdout.write(flags.json === true ? `${JSON.stringify(added, null, 2)}\n` : `certificate ${added.host}: ${added.fingerprint ?? '-'} (expires ${isoDate(added.notAfter)})\n`)
    })

  withClientOptions(cert.command('ls').description('list certificates, the hosts of TLS routes and the state of their issuance'))
    .action(async (flags: ClientFlags) => {
      const certs = await clientOf(flags).get<CertView[]>('/v1/certs')
      if (flags.json === true) { io.stdout.write(`${JSON.stringify(certs, null, 2)}\n`); return }
      io.stdout.write(table(['HOST', 'STATE', 'SOURCE', 'EXPIRES', 'FINGERPRINT', 'ISSUER', 'LAST ERROR'], certs.map((c) => [
        c.host, c.state, c.source ?? '-', isoDate(c.notAfter), c.fingerprint === undefined ? '-' : `${c.fingerprint.slice(0, 23)}…`,
        c.issuer?.lease?.node ?? c.issuer?.node ?? '-',
        c.issuer?.lastError === undefined ? '-' : `${c.issuer.lastError.slice(0, 80)} (${c.issuer.attempts}×${c.issuer.nextAttemptAt === undefined ? '' : `, next ${inTime(c.issuer.nextAttemptAt)}`})`
      ])))
    })

  withClientOptions(cert.command('rm').description('remove a host\'s certificate (ACME issues a TLS route\'s again)').argument('<host>'))
    .action(async (host: string, flags: ClientFlags) => {
      const result = await clientOf(flags).delete<{ removed: string }>(`/v1/certs/${encodeURIComponent(host)}`)
      io.stdout.write(flags.json === true ? `${JSON.stringify(result)}\n` : `removed ${result.removed}\n`)
    })
}

async function readPem (flag: string, path: string, stdin: AsyncIterable<unknown>): Promise<string> {
  try {
    if (path !== '-') return await readFile(path, 'utf8')
    let text = ''
    for await (const chunk of stdin) text += String(chunk)
    return text
  } catch (err) {
    throw new Error(`${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

function isoDate (ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString().slice(0, 10)
}

function inTime (at: number): string {
  const ms = at - Date.now()
  return ms <= 0 ? 'now' : `in ${ago(Date.now() - ms)}`
}
