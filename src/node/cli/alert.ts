// `meshd alert ls|set|rm`: alert rules, evaluated once cluster-wide, notified to a webhook
// in Alertmanager's format. A webhook URL with credentials is read from a file
// (--webhook-file, "-" for stdin), never from the command line, where `ps` shows it.

import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import type { AlertView } from '../api/index.ts'
import { clientOf, withClientOptions } from './connection.ts'
import type { ClientFlags } from './connection.ts'
import { ago, table } from './table.ts'

interface SetFlags extends ClientFlags { when: string, webhook?: string, webhookFile?: string, for?: string }

export function registerAlertCommands (program: Command): void {
  const alert = program.command('alert').description('alert rules and their state')

  withClientOptions(alert.command('ls').description('list alert rules, their state and last notification'))
    .action(async (flags: ClientFlags) => {
      const alerts = await clientOf(flags).get<AlertView[]>('/v1/alerts')
      if (flags.json === true) { process.stdout.write(`${JSON.stringify(alerts, null, 2)}\n`); return }
      process.stdout.write(table(['NAME', 'STATE', 'SINCE', 'WHEN', 'FOR', 'INSTANCES', 'LAST NOTICE', 'COORDINATOR'], alerts.map((a) => [
        a.name, a.state, a.since === undefined ? '-' : ago(a.since), a.when, a.for ?? '0s',
        a.instances.map((i) => Object.values(i.labels).join('/')).join(',') || '-',
        a.lastNotice === undefined ? '-' : `${a.lastNotice.status} ${a.lastNotice.phase} ${ago(a.lastNotice.at)}${a.lastNotice.error === undefined ? '' : ` (${a.lastNotice.error})`}`,
        a.coordinator ?? '-'
      ])))
    })

  withClientOptions(alert.command('set').description('create or replace an alert rule')
    .argument('<name>', 'alert name (a DNS label)')
    .requiredOption('--when <rule>', '"service.healthy < service.desired", "node.dead", "replica.restarts > 3 in 5m", "replica.cpu > 90%", "service.errors > 1%" (optionally "service=NAME")')
    .option('--webhook <url>', 'where notifications are posted (http or https, without credentials)')
    .option('--webhook-file <path>', 'read the webhook URL from a file ("-": stdin), for a URL that carries credentials')
    .option('--for <duration>', 'how long the condition must hold before it fires ("30s")'))
    .action(async (name: string, flags: SetFlags) => {
      const webhook = await webhookOf(flags)
      const body = { when: flags.when, ...(flags.for === undefined ? {} : { for: flags.for }), notify: { webhook } }
      const set = await clientOf(flags).put<AlertView>(`/v1/alerts/${encodeURIComponent(name)}`, body)
      process.stdout.write(flags.json === true ? `${JSON.stringify(set, null, 2)}\n` : `alert ${set.name}: ${set.when} → ${set.notify.webhook}\n`)
    })

  withClientOptions(alert.command('rm').description('remove an alert rule').argument('<name>'))
    .action(async (name: string, flags: ClientFlags) => {
      const result = await clientOf(flags).delete<{ deleted: string }>(`/v1/alerts/${encodeURIComponent(name)}`)
      process.stdout.write(flags.json === true ? `${JSON.stringify(result)}\n` : `removed ${result.deleted}\n`)
    })
}

async function webhookOf (flags: SetFlags): Promise<string> {
  if ((flags.webhook === undefined) === (flags.webhookFile === undefined)) throw new Error('give one of --webhook URL or --webhook-file PATH')
  if (flags.webhook !== undefined) {
    let url: URL | undefined
    try { url = new URL(flags.webhook) } catch { url = undefined }
    if (url !== undefined && (url.username !== '' || url.password !== '')) {
      throw new Error('--webhook: this URL carries credentials, which the command line would show to anyone on this machine (ps); put it in a file and give --webhook-file PATH (or "-" for stdin)')
    }
    return flags.webhook
  }
  const text = flags.webhookFile === '-' ? await readStdin() : await readFile(flags.webhookFile!, 'utf8')
  return text.trim()
}

async function readStdin (): Promise<string> {
  let text = ''
  for await (const chunk of process.stdin) text += String(chunk)
  return text
}
