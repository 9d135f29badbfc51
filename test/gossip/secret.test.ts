import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { generateSecret, loadOrCreateSecret, secretToToken, tokenToSecret, writeSecret } from '../../src/gossip/index.ts'
import { parseSecret } from '../../src/gossip/secret.ts'

describe('cluster secret', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'meshd-gossip-secret-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('is created once, in pnet format, readable only by its owner', async () => {
    const created = await loadOrCreateSecret(dir)
    expect(new TextDecoder().decode(created)).toMatch(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
    expect((await stat(join(dir, 'swarm.key'))).mode & 0o777).toBe(0o600)
    expect(await loadOrCreateSecret(dir)).toEqual(created)
  })

  it('round-trips through a one-line token', () => {
    const psk = generateSecret()
    const token = secretToToken(psk)
    expect(token).toMatch(/^meshd1-[A-Za-z0-9_-]{43}$/)
    expect(tokenToSecret(token)).toEqual(psk)
    expect(tokenToSecret(`  ${token}\n`)).toEqual(psk)
  })

  it('rejects malformed tokens with a clear error', () => {
    const token = secretToToken(generateSecret())
    expect(() => tokenToSecret('')).toThrow(/must start with "meshd1-"/)
    expect(() => tokenToSecret(token.slice('meshd1-'.length))).toThrow(/must start with "meshd1-"/)
    expect(() => tokenToSecret(token.slice(0, -4))).toThrow(/holds 29 key bytes, not 32/)
    expect(() => tokenToSecret(`${token}AAAA`)).toThrow(/not 32/)
    expect(() => tokenToSecret(`${token.slice(0, -1)}!`)).toThrow(/invalid characters/)
  })

  it('stores the secret a joining node was given', async () => {
    const psk = tokenToSecret(secretToToken(generateSecret()))
    await writeSecret(join(dir, 'sub'), psk)
    expect(await loadOrCreateSecret(join(dir, 'sub'))).toEqual(Uint8Array.from(psk))
    expect((await stat(join(dir, 'sub', 'swarm.key'))).mode & 0o777).toBe(0o600)
  })

  it('refuses a corrupt swarm.key instead of replacing it', async () => {
    await writeFile(join(dir, 'swarm.key'), '/key/swarm/psk/1.0.0/\n/base16/\nabc\n')
    await expect(loadOrCreateSecret(dir)).rejects.toThrow(/swarm\.key: malformed cluster secret/)
    expect(await readFile(join(dir, 'swarm.key'), 'utf8')).toContain('abc')
    expect(() => parseSecret(new TextEncoder().encode('hello'))).toThrow(/not a cluster secret/)
  })
})
