// A replica's volumes against the real engine, through the Docker adapter: a slot's data
// outlives its container, and moves to another node's volume as an archive with every
// owner, mode and byte — a real PostgreSQL's data directory included. Node names vol-a
// and vol-b (hosts 127.0.0.201-202) keep everything apart; all of it is removed in afterAll.
import { pipeline as pipelineCallback, Readable, Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServiceSpec } from '../../../src/crdt/index.ts'
import { dockerRuntime, VolumeError, volumeName, type Runtime } from '../../../src/node/runtime/index.ts'
import { recordingLogger } from '../../support/logger.ts'
import { waitFor } from '../../support/wait.ts'
import { docker, IMAGE, removeAll } from './support.ts'

const A = 'vol-a'
const B = 'vol-b'
const PG_IMAGE = 'meshd/postgres:15'
const PGDATA = '/var/lib/postgresql/data'
const MiB = 2 ** 20

function spec (fields: Partial<ServiceSpec>): ServiceSpec {
  return { name: 'files', image: IMAGE, command: ['sleep', '3600'], env: {}, replicas: 1, ports: [], labels: {}, ...fields }
}

/** Every entry of a volume with owner, group, mode and type, then the sha256 of every file: equal trees print alike. */
async function tree (volume: string): Promise<string> {
  return await docker('run', '--rm', '--network', 'none', '-v', `${volume}:/v:ro`, IMAGE, 'sh', '-c',
    'cd /v && find . -exec stat -c "%n %u:%g %a %F %s" {} + | sort && find . -type f -exec sha256sum {} + | sort')
}

async function removeVolumes (): Promise<void> {
  for (const node of [A, B]) {
    const copies = (await docker('ps', '-aq', '--filter', `name=meshd-${node}-volume-copy-`)).split('\n').filter(Boolean)
    if (copies.length > 0) await docker('rm', '-f', '-v', ...copies)
    await removeAll(node)
    const volumes = (await docker('volume', 'ls', '-q', '--filter', `label=meshd.node=${node}`)).split('\n').filter(Boolean)
    const made = (await docker('volume', 'ls', '-q', '--filter', `name=meshd-${node}_`)).split('\n').filter(Boolean)
    if (volumes.length + made.length > 0) await docker('volume', 'rm', '-f', ...new Set([...volumes, ...made]))
  }
}

async function sh (runtime: Runtime, id: string, script: string): Promise<string> {
  const result = await runtime.exec(id, ['sh', '-c', script], { timeoutMs: 30_000 })
  if (result.exitCode !== 0) throw new Error(`exit ${result.exitCode}: ${result.output}`)
  return result.output.trim()
}

async function move (from: Runtime, to: Runtime, source: string, target: string, service: string, image: string): Promise<void> {
  const tar = await from.exportVolume(source, image)
  await to.importVolume(target, { node: B, service, slot: 0, source: 'data' }, image, tar)
}

describe('replica volumes on the engine', () => {
  const log = recordingLogger()
  let a: Runtime
  let b: Runtime

  beforeAll(async () => {
    await removeVolumes()
    a = dockerRuntime({ host: '127.0.0.201', nodeName: A, log })
    b = dockerRuntime({ host: '127.0.0.202', nodeName: B, log })
  })
  afterAll(async () => {
    await a?.stop()
    await b?.stop()
    await removeVolumes()
  })

  it('keeps a slot\'s data across containers, names the replica S-N and mounts its tmpfs with its size', async () => {
    const files = spec({ volumes: [{ source: 'data', target: '/data' }], tmpfs: [{ target: '/scratch', size: 8 * MiB }] })
    const first = await a.run({ spec: files, slot: 0, generation: 1 })
    await sh(a, first.id, [
      'mkdir -p /data/d/empty && echo hello > /data/d/f && dd if=/dev/urandom of=/data/blob bs=64k count=16 2>/dev/null',
      'ln -s d/f /data/link && ln /data/blob /data/hard',
      'chown 999:999 /data/d && chmod 700 /data/d && chown 123:456 /data/d/f && chmod 640 /data/d/f && chmod 4755 /data/blob',
      'chown 70:71 /data && chmod 711 /data'
    ].join(' && '))
    expect(await sh(a, first.id, 'hostname')).toBe('files-0')
    expect(await sh(a, first.id, 'grep " /scratch " /proc/mounts')).toMatch(/^tmpfs \/scratch tmpfs rw.*size=8192k/)
    await a.remove(first.id)

    const second = await a.run({ spec: files, slot: 0, generation: 2 })
    expect(await sh(a, second.id, 'cat /data/d/f && stat -c "%u:%g %a" /data/d/f /data')).toBe('hello\n123:456 640\n70:71 711')
    expect(await a.listVolumes()).toStrictEqual([{ name: 'meshd-vol-a_files_data_0', node: A, service: 'files', slot: 0, source: 'data' }])
    expect(await b.listVolumes()).toStrictEqual([])
    await expect(a.removeVolume('meshd-vol-a_files_data_0')).rejects.toMatchObject({ code: 'in-use' })
    await a.remove(second.id)
  })

  it('exports a volume and imports it as another node\'s: the same tree, owners, modes and bytes', async () => {
    const source = volumeName(A, 'files', 'data', 0)
    const target = volumeName(B, 'files', 'data', 0)
    await move(a, b, source, target, 'files', IMAGE)
    const before = await tree(source)
    expect(before).toContain('. 70:71 711 directory')
    expect(before).toContain('./blob 0:0 4755 regular file 1048576')
    expect(await tree(target)).toBe(before)
    expect(await b.listVolumes()).toStrictEqual([{ name: target, node: B, service: 'files', slot: 0, source: 'data' }])
    // Hard links stay links: one inode, two names.
    expect(await docker('run', '--rm', '-v', `${target}:/v`, IMAGE, 'sh', '-c', 'stat -c %h /v/blob')).toBe('2')
    // The copy containers are gone.
    expect(await docker('ps', '-aq', '--filter', 'label=meshd.volume-copy')).toBe('')
  })

  it('replaces a volume\'s whole content on import, and refuses other nodes\' volumes and absent ones', async () => {
    const target = volumeName(B, 'files', 'data', 0)
    await docker('run', '--rm', '-v', `${target}:/v`, IMAGE, 'touch', '/v/stray')
    await move(a, b, volumeName(A, 'files', 'data', 0), target, 'files', IMAGE)
    expect(await tree(target)).not.toContain('stray')

    await expect(a.exportVolume('meshd-vol-a_nothing_data_0', IMAGE)).rejects.toBeInstanceOf(VolumeError)
    await expect(a.exportVolume('meshd-vol-a_nothing_data_0', IMAGE)).rejects.toMatchObject({ code: 'not-found' })
    await expect(b.exportVolume(volumeName(A, 'files', 'data', 0), IMAGE)).rejects.toMatchObject({ code: 'foreign-node' })
    await expect(b.removeVolume(volumeName(A, 'files', 'data', 0))).rejects.toMatchObject({ code: 'foreign-node' })
    const tar = await a.exportVolume(volumeName(A, 'files', 'data', 0), IMAGE)
    await expect(a.importVolume('meshd-vol-a_x_data_0', { node: B, service: 'x', slot: 0, source: 'data' }, IMAGE, tar)).rejects.toMatchObject({ code: 'foreign-node' })
    tar.destroy()
    await waitFor(async () => await docker('ps', '-aq', '--filter', 'label=meshd.volume-copy') === '', { what: 'the copy container of a destroyed export to go' })

    await b.removeVolume(target)
    await b.removeVolume(target)
    expect(await b.listVolumes()).toStrictEqual([])
  })

  it('a failed import leaves no volume', async () => {
    const target = volumeName(B, 'files', 'data', 0)
    // The archive cut off after its first 100 KiB, as a dropped connection would.
    let seen = 0
    const cut = new Transform({
      transform (chunk: Buffer, _encoding, done) {
        seen += chunk.length
        done(seen > 100 * 1024 ? new Error('connection lost') : null, chunk)
      }
    })
    const broken = pipelineCallback(await a.exportVolume(volumeName(A, 'files', 'data', 0), IMAGE), cut, () => {})
    await expect(b.importVolume(target, { node: B, service: 'files', slot: 0, source: 'data' }, IMAGE, broken)).rejects.toThrow('connection lost')
    expect(await b.listVolumes()).toStrictEqual([])
    // Closed early without an error: refused too.
    const short = new Readable({ read () {} })
    short.push(Buffer.alloc(512))
    short.destroy()
    await expect(b.importVolume(target, { node: B, service: 'files', slot: 0, source: 'data' }, IMAGE, short)).rejects.toThrow()
    expect(await b.listVolumes()).toStrictEqual([])
    await waitFor(async () => await docker('ps', '-aq', '--filter', 'label=meshd.volume-copy') === '', { what: 'every copy container to go' })
  })

  it('moves a PostgreSQL data directory: the replica on the imported volume has every row', async () => {
    const pg = spec({ name: 'pg', image: PG_IMAGE, command: undefined, env: { POSTGRES_PASSWORD: 'volume-test' }, volumes: [{ source: 'data', target: PGDATA }] })
    const psql = async (runtime: Runtime, id: string, sql: string): Promise<string> => {
      const result = await runtime.exec(id, ['psql', '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql], { timeoutMs: 30_000 })
      if (result.exitCode !== 0) throw new Error(result.output)
      return result.output.trim()
    }
    const ready = async (runtime: Runtime, id: string): Promise<void> => {
      await waitFor(async () => (await runtime.exec(id, ['pg_isready', '-q']))?.exitCode === 0, { timeoutMs: 60_000, what: 'postgres to accept connections' })
    }
    const first = await a.run({ spec: pg, slot: 0, generation: 1 })
    await ready(a, first.id)
    // A fresh volume takes the image's directory, owner and mode with it (Docker's copy-up).
    expect(await docker('run', '--rm', '-v', `${volumeName(A, 'pg', 'data', 0)}:/v`, IMAGE, 'sh', '-c', 'stat -c "%u:%g %a" /v')).toBe('999:999 700')
    await psql(a, first.id, 'create table rows (id int primary key, body text not null); insert into rows select g, md5(g::text) from generate_series(1, 5000) g')
    const checksum = 'select count(*), md5(string_agg(id || body, \',\' order by id)) from rows'
    const expected = await psql(a, first.id, checksum)
    await a.remove(first.id, { graceSeconds: 20 })

    await move(a, b, volumeName(A, 'pg', 'data', 0), volumeName(B, 'pg', 'data', 0), 'pg', PG_IMAGE)
    const moved = await b.run({ spec: pg, slot: 0, generation: 1 })
    await ready(b, moved.id)
    expect(await psql(b, moved.id, checksum)).toBe(expected)
    expect(expected).toMatch(/^5000\|[0-9a-f]{32}$/)
    expect(await sh(b, moved.id, `stat -c "%u:%g %a" ${PGDATA} && hostname`)).toBe('999:999 700\npg-0')
    await b.remove(moved.id)
  }, 180_000)

  it('measures: export and import of a 100 MiB volume, against a docker run tar copy', async () => {
    const source = volumeName(A, 'big', 'data', 0)
    const target = volumeName(B, 'big', 'data', 0)
    await docker('volume', 'create', '--label', `meshd.node=${A}`, '--label', 'meshd.service=big', '--label', 'meshd.slot=0', '--label', 'meshd.volume=data', source)
    await docker('run', '--rm', '-v', `${source}:/a`, IMAGE, 'sh', '-c', 'dd if=/dev/urandom of=/a/blob bs=1M count=100 2>/dev/null')
    // Warm the image check, as a move after a replica ran would find it.
    await a.ensureImage(IMAGE)
    await b.ensureImage(IMAGE)

    // Read once (its sha256s), so both copies find it in the page cache.
    const before = await tree(source)

    let started = performance.now()
    await move(a, b, source, target, 'big', IMAGE)
    const meshd = performance.now() - started
    expect(await tree(target)).toBe(before)

    const plain = `meshd-${B}_plain_copy_0`
    started = performance.now()
    await docker('run', '--rm', '-v', `${source}:/a`, '-v', `${plain}:/b`, IMAGE, 'sh', '-c', 'cd /a && tar cf - . | tar xf - -C /b')
    const tar = performance.now() - started

    // Reading the export alone, for the share of each half.
    started = performance.now()
    await pipeline(await a.exportVolume(source, IMAGE), new Writable({ write (_chunk, _encoding, done) { done() } }))
    const exportOnly = performance.now() - started
    console.log(`100 MiB volume: export+import ${meshd.toFixed(0)} ms (export alone ${exportOnly.toFixed(0)} ms), docker run tar copy ${tar.toFixed(0)} ms, ratio ${(meshd / tar).toFixed(2)}`)
  }, 180_000)
})
