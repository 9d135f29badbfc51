// `meshd join-token`: prints the cluster secret as a join token (its last line of
// output), creating the secret when the data dir has none yet (the first node of a
// cluster) — as `docker swarm join-token`. `meshd secret` manages the secrets of
// services (stored.ts).

import type { Command } from 'commander'
import { resolve } from 'node:path'
import { loadOrCreateSecret, secretToToken } from '../../gossip/index.ts'
import { defaultDataDir } from '../config.ts'

export function registerJoinTokenCommand (program: Command): void {
  program.command('join-token')
    .description('print the token another node joins this cluster with')
    .option('--data-dir <dir>', 'a member\'s data dir (default: the node default)')
    .option('--json', 'print JSON for scripts')
    .action(async (flags: { dataDir?: string, json?: boolean }) => {
      const token = secretToToken(await loadOrCreateSecret(resolve(flags.dataDir ?? defaultDataDir())))
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify({ joinToken: token })}\n`)
        return
      }
      if (process.stdout.isTTY) {
        process.stdout.write('Keep it out of command lines: save it to a file (mode 0600) and join with\n' +
          '  meshd join HOST:7701 --secret-file FILE ...   or   MESHD_SECRET="$(cat FILE)" meshd join HOST:7701 ...\n')
      }
      process.stdout.write(`${token}\n`)
    })
}
