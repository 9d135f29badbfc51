// A replica's secret and config files against the real Docker Engine: on a tmpfs inside the
// container with their modes and owners, read-only, nowhere in what Docker keeps or shows,
// and gone with the container. Node name rt-files keeps these apart from every other test.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { dockerRuntime, ReplicaFilesError, type ReplicaFile, type Runtime } from '../../../src/node/runtime/index.ts'
import { onTmpfs } from '../../../src/node/runtime/files.ts'
import { recordingLogger } from '../../support/logger.ts'
import { docker, httpdSpec, removeAll } from './support.ts'

const NODE = 'rt-files'
const FILES_DIR = `/dev/shm/meshd-${NODE}`
const SECRET = 'hunter2-not-on-any-disk'

const files: ReplicaFile[] = [
  { path: '/run/secrets/db-pass', data: Buffer.from(SECRET), mode: 0o440, uid: 1000, gid: 1001 },
  { path: '/etc/app/config.yml', data: Buffer.from('level: debug\n'), mode: 0o444, uid: 0, gid: 0 }
]

/** Every regular file under `dir`, recursively. */
function filesUnder (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : []
  })
}

describe('replica files against the engine', () => {
  const log = recordingLogger()
  let runtime: Runtime

  beforeAll(async () => {
    await removeAll(NODE)
    runtime = dockerRuntime({ host: '127.0.0.1', nodeName: NODE, log })
  })
  afterEach(async () => { await removeAll(NODE) })
  afterAll(async () => {
    await runtime.stop()
    await removeAll(NODE)
    await rm(FILES_DIR, { recursive: true, force: true })
  })

  it('mounts each file read-only on a tmpfs with its mode and owner, and Docker keeps and shows no content', async () => {
    const info = await runtime.run({ spec: httpdSpec(), slot: 0, generation: 1, files })
    const exec = async (cmd: string): Promise<string> => (await runtime.exec(info.id, ['sh', '-c', cmd])).output.trim()

    expect(await exec('stat -f -c %T /run/secrets/db-pass /etc/app/config.yml')).toBe('tmpfs\ntmpfs')
    expect(await exec('stat -c "%a %u %g" /run/secrets/db-pass /etc/app/config.yml')).toBe('440 1000 1001\n444 0 0')
    expect(await exec('cat /run/secrets/db-pass')).toBe(SECRET)
    expect((await runtime.exec(info.id, ['sh', '-c', 'echo x > /run/secrets/db-pass'])).exitCode).not.toBe(0)

    const inspected = await docker('inspect', info.id)
    expect(inspected).not.toContain(SECRET)
    const mounts = JSON.parse(await docker('inspect', '--format', '{{json .HostConfig.Mounts}}', info.id)) as unknown
    expect(mounts).toStrictEqual([
      { Type: 'bind', Source: `${FILES_DIR}/${info.name}/0`, Target: '/run/secrets/db-pass', ReadOnly: true },
      { Type: 'bind', Source: `${FILES_DIR}/${info.name}/1`, Target: '/etc/app/config.yml', ReadOnly: true }
    ])
    // Nothing of it in the container's directory, nor in its writable layer.
    const dockerRoot = await docker('info', '--format', '{{.DockerRootDir}}')
    const upper = await docker('inspect', '--format', '{{index .GraphDriver.Data "UpperDir"}}', info.id).catch(() => '')
    for (const dir of [join(dockerRoot, 'containers', info.id), upper].filter(d => d !== '' && d !== '<no value>' && existsSync(d))) {
      for (const path of filesUnder(dir)) expect(readFileSync(path).includes(SECRET), path).toBe(false)
    }
    expect(statSync(join(FILES_DIR, info.name)).mode & 0o777).toBe(0o700)

    await runtime.remove(info.id, { graceSeconds: 0 })
    expect(existsSync(join(FILES_DIR, info.name))).toBe(false)
  })

  it('leaves no file behind when the replica fails to start', async () => {
    const spec = httpdSpec({ command: ['/no/such/binary'] })
    await expect(runtime.run({ spec, slot: 0, generation: 1, files })).rejects.toThrow()
    expect(readdirSync(FILES_DIR)).toEqual([])
  })

  it('sweeps the files of a container removed behind its back', async () => {
    const info = await runtime.run({ spec: httpdSpec(), slot: 0, generation: 1, files })
    await docker('rm', '-f', info.id)
    expect(readdirSync(FILES_DIR)).toEqual([info.name])
    await runtime.list()
    expect(readdirSync(FILES_DIR)).toEqual([])
  })

  it.runIf(!onTmpfs(tmpdir()))('refuses to start a replica whose files would land on a disk', async () => {
    const disk = await mkdtemp(join(tmpdir(), 'meshd-files-'))
    const onDisk = dockerRuntime({ host: '127.0.0.1', nodeName: NODE, log, filesDir: join(disk, 'files') })
    try {
      const err = await onDisk.run({ spec: httpdSpec(), slot: 0, generation: 1, files }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ReplicaFilesError)
      expect((err as ReplicaFilesError).code).toBe('not-tmpfs')
      expect(readdirSync(join(disk, 'files'))).toEqual([])
      expect(await onDisk.list()).toEqual([])
    } finally {
      await onDisk.stop()
      await rm(disk, { recursive: true, force: true })
    }
  })
})
