// The API token a node requires when its API listens beyond loopback: kept in the
// data dir (mode 0600), created on the first start that needs it.

import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../../logger.ts'
import { isLoopback } from '../config.ts'

export const API_TOKEN_FILE = 'api.token'

/** The data dir's API token, created (random, 24 bytes) when there is none yet. */
export async function loadOrCreateApiToken (dataDir: string, log: Logger): Promise<string> {
  const path = join(dataDir, API_TOKEN_FILE)
  const existing = await readFile(path, 'utf8').catch(() => '')
  if (existing.trim() !== '') return existing.trim()
  const token = randomBytes(24).toString('base64url')
  await writeFile(path, `${token}\n`, { mode: 0o600 })
  log.info({ path }, 'API token created; clients pass it as MESHD_TOKEN')
  return token
}

/** The token the API requires: --api-token, else the data dir's when the API listens beyond loopback, else none. */
export async function apiTokenFor (config: { apiToken?: string, host: string, dataDir: string }, log: Logger): Promise<string | undefined> {
  if (config.apiToken !== undefined) return config.apiToken
  return isLoopback(config.host) ? undefined : await loadOrCreateApiToken(config.dataDir, log)
}
