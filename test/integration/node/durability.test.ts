// Each node keeps what it acknowledged (issue 12), on real daemons: SIGKILL in the middle
// of a stream of writes loses no acknowledged one; a corrupt record in the middle of
// the log refuses the start until `meshd doctor --repair`; one daemon per data dir;
// the data dir is 0700 and its files 0600; ports a service must not publish.

import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { api, BIN, cleanupAll, IMAGE, killDaemon, spawnDaemon, startDaemon, tempDataDir, waitFor } from '../../support/daemon.ts'

const paper = (name: string, v: string): Record<string, unknown> => ({ name, image: IMAGE, replicas: 0, env: { V: v } })

describe('a node keeps what it acknowledged', () => {
  afterAll(cleanupAll)

  it('loses no acknowledged write to SIGKILL, 20 times', async () => {
    const dataDir = tempDataDir()
    const acknowledged = new Map<string, string>()
    for (let round = 0; round < 20; round++) {
      const daemon = await startDaemon({ name: 'test-durable', host: '127.0.0.47', dataDir })
      // Writes as fast as the API answers them; the kill lands in the middle of the stream,
      // once two of this round's writes were acknowledged (however slow the machine is).
      let writing = true
      let answered = 0
      const stream = (async () => {
        for (let i = 0; writing; i++) {
          const name = `s${round}-${i % 7}`
          const value = `${round}-${i}`
          const answer = await api(daemon.api, 'PUT', `/v1/services/${name}`, paper(name, value)).catch(() => undefined)
          if (answer?.status === 200 || answer?.status === 201) {
            acknowledged.set(name, value)
            answered++
          }
        }
      })()
      await waitFor(() => answered >= 2, { timeoutMs: 60_000, intervalMs: 5, what: `two acknowledged writes in round ${round}` })
      await new Promise((resolve) => setTimeout(resolve, (round % 5) * 70))
      await killDaemon(daemon)
      writing = false
      await stream
    }
    const daemon = await startDaemon({ name: 'test-durable', host: '127.0.0.47', dataDir })
    const services = (await api<Array<{ spec: { name: string, env: { V: string } } }>>(daemon.api, 'GET', '/v1/services')).body
    const found = new Map(services.map((s) => [s.spec.name, s.spec.env.V]))
    // A write the kill cut off before its answer may have made it to disk too: what is found
    // must be the last acknowledged write of each service, or a later one.
    const order = (value: string | undefined): number => Number(value?.split('-')[1] ?? -1)
    const lost = [...acknowledged].filter(([name, value]) => order(found.get(name)) < order(value))
    const later = [...acknowledged].filter(([name, value]) => order(found.get(name)) > order(value)).length
    console.log(`20 SIGKILLs during writes: ${acknowledged.size} services with an acknowledged last write, ${lost.length} lost, ${later} with a later unacknowledged write kept`)
    expect(acknowledged.size).toBeGreaterThanOrEqual(40)
    expect(lost).toEqual([])

    // The data dir and every file in it are private to the node.
    expect(statSync(dataDir).mode & 0o777).toBe(0o700)
    for (const file of readdirSync(dataDir)) {
      if (statSync(join(dataDir, file)).isFile()) expect(statSync(join(dataDir, file)).mode & 0o777, file).toBe(0o600)
    }
    // One daemon per data dir.
    const second = spawnDaemon({ name: 'test-durable-2', host: '127.0.0.48', dataDir })
    expect(await second.exited).toBe(1)
    expect(second.output()).toMatch(/data dir|another meshd|in use|locked/i)
    await killDaemon(daemon, 'SIGTERM')
  }, 240_000)

  it('refuses to start on a corrupt record in the middle of the log, and starts after meshd doctor --repair', async () => {
    const dataDir = tempDataDir()
    const daemon = await startDaemon({ name: 'test-corrupt', host: '127.0.0.197', dataDir })
    for (let i = 0; i < 5; i++) expect((await api(daemon.api, 'PUT', `/v1/services/c${i}`, paper(`c${i}`, 'x'))).status).toBe(201)
    // SIGKILL leaves the updates in the log (a clean stop would fold them into the snapshot).
    await killDaemon(daemon)
    const log = join(dataDir, 'document.log')
    const bytes = readFileSync(log)
    expect(bytes.byteLength).toBeGreaterThan(200)
    // One flipped byte in the body of the first record: valid records follow it.
    bytes[12] = bytes[12]! ^ 0xff
    writeFileSync(log, bytes)

    const refused = spawnDaemon({ name: 'test-corrupt', host: '127.0.0.197', dataDir })
    expect(await refused.exited).toBe(1)
    const message = refused.output()
    console.log(message.split('\n').find((line) => line.includes('meshd:')))
    expect(message).toContain(log)
    expect(message).toMatch(/at byte \d+/)
    expect(message).toContain('meshd doctor --data-dir')

    const report = execFileSync(process.execPath, [BIN, 'doctor', '--data-dir', dataDir, '--repair', '--json'], { encoding: 'utf8' })
    expect(report).toMatch(/cut|kept/i)
    expect(readdirSync(dataDir).some((file) => file.startsWith('document.log.cut-'))).toBe(true)
    const repaired = await startDaemon({ name: 'test-corrupt', host: '127.0.0.197', dataDir })
    expect((await api(repaired.api, 'GET', '/v1/health')).status).toBe(200)
    await killDaemon(repaired, 'SIGTERM')
  }, 60_000)

  it('refuses to publish a member\'s API or peer-to-peer port, and a system port without --allow-low-ports', async () => {
    const daemon = await startDaemon({ name: 'test-ports', host: '127.0.0.198', dataDir: tempDataDir() })
    for (const [published, field] of [[7700, 'API port'], [7701, 'peer-to-peer port'], [22, 'below 1024']] as const) {
      const answer = await api(daemon.api, 'PUT', '/v1/services/p', { name: 'p', image: IMAGE, replicas: 0, ports: [{ published, target: 80 }] })
      expect(answer.status, String(published)).toBe(400)
      expect(answer.body.error.path).toBe('ports[0].published')
      expect(answer.body.error.message).toContain(field)
    }
    expect((await api(daemon.api, 'GET', '/v1/services/p')).status).toBe(404)
    await killDaemon(daemon, 'SIGTERM')
    const allowing = await startDaemon({ name: 'test-ports', host: '127.0.0.198', dataDir: tempDataDir(), args: ['--no-mdns', '--allow-low-ports'] })
    expect((await api(allowing.api, 'PUT', '/v1/services/p', { name: 'p', image: IMAGE, replicas: 0, ports: [{ published: 22, target: 80 }] })).status).toBe(201)
    await waitFor(async () => (await api(allowing.api, 'DELETE', '/v1/services/p')).status === 200, { what: 'the service removed' })
  }, 60_000)
})
