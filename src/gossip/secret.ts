// The cluster secret: a 32-byte pre-shared key for libp2p pnet. On disk it is a
// `swarm.key` in pnet's own format, so standard libp2p tooling can read it; people
// pass it around as a one-line token (`meshd1-` + base64url of the key bytes).

import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SECRET_FILE, TOKEN_PREFIX } from './constants.ts'

const KEY_BYTES = 32
const HEADER = '/key/swarm/psk/1.0.0/'
const CODEC = '/base16/'

/** The pnet `swarm.key` bytes for a 32-byte key. */
export function formatSecret (key: Uint8Array): Uint8Array {
  if (key.byteLength !== KEY_BYTES) throw new Error(`a cluster secret is ${KEY_BYTES} bytes, not ${key.byteLength}`)
  return new TextEncoder().encode(`${HEADER}\n${CODEC}\n${Buffer.from(key).toString('hex')}\n`)
}

/** The 32 key bytes of a pnet `swarm.key`; throws naming what is wrong. */
export function parseSecret (psk: Uint8Array): Uint8Array {
  const lines = new TextDecoder().decode(psk).split(/\r?\n/)
  if (lines[0] !== HEADER) throw new Error(`not a cluster secret: the first line must be ${HEADER}`)
  if (lines[1] !== CODEC) throw new Error(`unsupported cluster secret encoding ${JSON.stringify(lines[1])}: only ${CODEC} is`)
  const hex = (lines[2] ?? '').trim()
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`malformed cluster secret: the key must be ${KEY_BYTES * 2} hex digits`)
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

/** A fresh random secret in pnet format. */
export function generateSecret (): Uint8Array {
  return formatSecret(randomBytes(KEY_BYTES))
}

/** One compact line for people to copy: `meshd1-` and the base64url key bytes. */
export function secretToToken (psk: Uint8Array): string {
  return TOKEN_PREFIX + Buffer.from(parseSecret(psk)).toString('base64url')
}

/** The pnet secret a token stands for; throws a clear error on a malformed token. */
export function tokenToSecret (token: string): Uint8Array {
  const trimmed = token.trim()
  if (!trimmed.startsWith(TOKEN_PREFIX)) {
    throw new Error(`malformed cluster secret token: it must start with "${TOKEN_PREFIX}" (copy it whole from the first node)`)
  }
  const body = trimmed.slice(TOKEN_PREFIX.length)
  // Buffer's base64url decoder skips invalid characters silently: check them first.
  if (!/^[A-Za-z0-9_-]+$/.test(body)) throw new Error('malformed cluster secret token: invalid characters after the prefix')
  const key = Buffer.from(body, 'base64url')
  if (key.byteLength !== KEY_BYTES) {
    throw new Error(`malformed cluster secret token: it holds ${key.byteLength} key bytes, not ${KEY_BYTES} (truncated?)`)
  }
  return formatSecret(key)
}

/** Reads dataDir/swarm.key, creating it (mode 0600) with a fresh secret on the first node. */
export async function loadOrCreateSecret (dataDir: string): Promise<Uint8Array> {
  const path = join(dataDir, SECRET_FILE)
  let psk: Uint8Array
  try {
    psk = new Uint8Array(await readFile(path))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the cluster secret ${path}: ${(err as Error).message}`)
    psk = generateSecret()
    await writeSecret(dataDir, psk)
    return psk
  }
  try {
    parseSecret(psk)
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`)
  }
  return psk
}

/** Stores a secret given on the command line (a joining node), replacing any other. */
export async function writeSecret (dataDir: string, psk: Uint8Array): Promise<void> {
  parseSecret(psk)
  await mkdir(dataDir, { recursive: true })
  const path = join(dataDir, SECRET_FILE)
  // Written whole under a temporary name, then renamed: a crash never leaves half a key.
  await writeFile(`${path}.tmp`, psk, { mode: 0o600 })
  await chmod(`${path}.tmp`, 0o600) // mode applies only when writeFile creates the file
  await rename(`${path}.tmp`, path)
}
