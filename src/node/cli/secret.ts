// `meshd secret`: prints the cluster secret as a join token (its last line of output),
// creating the secret when the data dir has none yet (the first node of a cluster).

import type { Command } from 'commander'
import { resolve } from 'node:path'
import { loadOrCreateSecret, secretToToken } from '../../gossip/index.ts'

export function registerSecretCommand (program: Command): void {
  program.command('secret')
    .description('print the cluster secret as a join token')
    .requiredOption('--data-dir <dir>', 'a member\'s data dir')
    .action(async (flags: { dataDir: string }) => {
      const token = secretToToken(await loadOrCreateSecret(resolve(flags.dataDir)))
      if (process.stdout.isTTY) process.stdout.write('Join another node with: meshd join HOST:7701 --secret <token below> ...\n')
      process.stdout.write(`${token}\n`)
    })
}
