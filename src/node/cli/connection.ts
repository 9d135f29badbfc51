// How a client command reaches the API: the URL (--api, MESHD_API), the token
// (--api-token, MESHD_TOKEN, else the api.token of --data-dir when readable — so on a
// node, as root, commands work with no flags) and the CA of an HTTPS API (--api-ca,
// MESHD_API_CA).

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { defaultDataDir } from '../config.ts'
import { API_TOKEN_FILE } from '../datadir/index.ts'
import { ApiClient, DEFAULT_API } from './client.ts'

export interface ClientFlags {
  api?: string
  apiToken?: string
  apiCa?: string
  dataDir?: string
  json?: boolean
  detach?: boolean
  timeout?: string
}

/** Adds the options every client command shares. */
export function withClientOptions (command: Command): Command {
  return command
    .option('--api <url>', 'meshd API URL (or MESHD_API)', process.env.MESHD_API ?? DEFAULT_API)
    .option('--api-token <token>', 'API token (better: MESHD_TOKEN, or the api.token of --data-dir)')
    .option('--api-ca <file>', 'CA certificate of an HTTPS API (or MESHD_API_CA)')
    .option('--data-dir <dir>', 'a node\'s data dir whose api.token to use (default: the node default)')
    .option('--json', 'print JSON for scripts')
}

/** The API client for a command's flags. */
export function clientOf (flags: ClientFlags): ApiClient {
  const ca = flags.apiCa ?? process.env.MESHD_API_CA
  return new ApiClient({
    base: flags.api ?? process.env.MESHD_API ?? DEFAULT_API,
    token: tokenOf(flags),
    ...(ca === undefined || ca === '' ? {} : { ca: readCa(ca) })
  })
}

/** The token a command uses: the flag, the variable, then the data dir's file. */
export function tokenOf (flags: { apiToken?: string, dataDir?: string }): string | undefined {
  const given = flags.apiToken ?? process.env.MESHD_TOKEN
  if (given !== undefined && given !== '') return given.trim()
  try {
    return readFileSync(join(flags.dataDir ?? defaultDataDir(), API_TOKEN_FILE), 'utf8').trim()
  } catch {
    return undefined
  }
}

function readCa (path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    throw new Error(`--api-ca: cannot read ${path}: ${(err as Error).message}`)
  }
}
