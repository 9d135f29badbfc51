// The data of a spec's replicas: named volumes (one per slot, kept on the slot's node),
// tmpfs mounts, and the backup schedule of the volumes. Every mount of a replica —
// secret, config, volume, tmpfs — has a path of its own.

import * as z from 'zod'
import type { BackupSpec, ConfigRef, SecretRef, TmpfsSpec, VolumeSpec } from '../../crdt/index.ts'
import {
  MAX_BACKUP_EVERY_MS, MAX_BACKUPS_KEPT, MAX_COMMAND_ITEMS, MAX_MEMORY, MAX_NAME_LENGTH, MAX_TARGET_LENGTH, MAX_VOLUMES, MIN_BACKUP_EVERY_MS, MIN_TMPFS_SIZE
} from './constants.ts'
import { isCleanAbsolutePath, secretPath } from './files.ts'
import type { SpecProblem } from './issues.ts'
import { duration, integer, memorySize, strictObject } from './shapes.ts'

// No "_" or ".": the runtime joins node, service, source and slot with "_" into the
// Docker volume's name, and reads it back unambiguously only if none of them has one.
const VOLUME_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/

const sourceError = `a volume name (lowercase letters, digits and "-", starting and ending with a letter or digit, at most ${MAX_NAME_LENGTH} characters)`
const source = z.string({ error: sourceError }).max(MAX_NAME_LENGTH, { error: sourceError }).regex(VOLUME_NAME, { error: sourceError })

const targetError = `an absolute path such as "/var/lib/data" (not "/", no empty, "." or ".." parts, at most ${MAX_TARGET_LENGTH} characters)`
const target = z.string({ error: targetError }).refine(isCleanAbsolutePath, { error: targetError })

function list<Item extends z.ZodType> (item: Item, expected: string) {
  const error = `an array of at most ${MAX_VOLUMES} ${expected} objects`
  return z.array(item, { error }).max(MAX_VOLUMES, { error })
}

export const volumesSchema = list(strictObject({
  source,
  target,
  readOnly: z.boolean({ error: 'true or false' }).optional(),
  onNodeLoss: z.enum(['wait', 'restore', 'empty'], { error: 'one of "wait", "restore", "empty"' }).optional()
}, 'an object {source, target, readOnly, onNodeLoss}'), '{source, target, readOnly, onNodeLoss}')

export const tmpfsSchema = list(strictObject({
  target,
  size: memorySize(MIN_TMPFS_SIZE, MAX_MEMORY).optional()
}, 'an object {target, size}'), '{target, size}')

const commandError = `a non-empty array of at most ${MAX_COMMAND_ITEMS} strings`
export const backupSchema = strictObject({
  every: duration(MIN_BACKUP_EVERY_MS, MAX_BACKUP_EVERY_MS),
  keep: integer(1, MAX_BACKUPS_KEPT),
  command: z.array(z.string({ error: 'a string' }), { error: commandError })
    .min(1, { error: commandError })
    .max(MAX_COMMAND_ITEMS, { error: commandError })
    .refine((cmd) => cmd[0] !== '', { error: 'a non-empty program name', path: [0] })
    .optional()
}, 'an object {every, keep, command}')

type VolumesInput = z.output<typeof volumesSchema>
type TmpfsInput = z.output<typeof tmpfsSchema>

/** The stored volumes: readOnly only when true, onNodeLoss only when given (absent means "wait"). */
export function normaliseVolumes (input: VolumesInput): VolumeSpec[] {
  return input.map((volume) => ({
    source: volume.source,
    target: volume.target,
    ...(volume.readOnly === true ? { readOnly: true } : {}),
    ...(volume.onNodeLoss === undefined ? {} : { onNodeLoss: volume.onNodeLoss })
  }))
}

export function normaliseTmpfs (input: TmpfsInput): TmpfsSpec[] {
  return input.map((mount) => ({ target: mount.target, ...(mount.size === undefined ? {} : { size: mount.size }) }))
}

export function normaliseBackup (input: z.output<typeof backupSchema>): BackupSpec {
  return { every: input.every, keep: input.keep, ...(input.command === undefined ? {} : { command: [...input.command] }) }
}

/** What a spec mounts into its replicas, for mountTargetProblem. */
export interface Mounts {
  secrets: readonly SecretRef[]
  configs: readonly ConfigRef[]
  volumes: VolumesInput
  tmpfs: TmpfsInput
}

/** Two mounts at one path (Docker refuses a duplicate mount point): the problem at the second, or undefined. */
export function mountTargetProblem (mounts: Mounts): SpecProblem | undefined {
  const seen = new Map<string, string>()
  const all = [
    ...mounts.secrets.map((ref, i) => ({ at: secretPath(ref), path: ['secrets', i, 'target'] })),
    ...mounts.configs.map((ref, i) => ({ at: ref.target, path: ['configs', i, 'target'] })),
    ...mounts.volumes.map((volume, i) => ({ at: volume.target, path: ['volumes', i, 'target'] })),
    ...mounts.tmpfs.map((mount, i) => ({ at: mount.target, path: ['tmpfs', i, 'target'] }))
  ]
  for (const { at, path } of all) {
    const first = seen.get(at)
    if (first !== undefined) return { path, message: `the path ${at} is already the target of ${first}, expected a path of its own` }
    seen.set(at, `${path[0]}[${path[1]}]`)
  }
  return undefined
}

/** The rules among volumes and backup: each source once, a backup only of volumes, a restore only from backups. */
export function volumeProblem (volumes: VolumesInput, backup: unknown): SpecProblem | undefined {
  const sources = new Map<string, number>()
  for (const [index, volume] of volumes.entries()) {
    const earlier = sources.get(volume.source)
    if (earlier !== undefined) return { path: ['volumes', index, 'source'], message: `expected a name not already used by volumes[${earlier}], got ${JSON.stringify(volume.source)}` }
    sources.set(volume.source, index)
  }
  if (backup !== undefined && volumes.length === 0) return { path: ['backup'], message: 'not allowed without volumes, expected volumes to back up' }
  const restore = volumes.findIndex((volume) => volume.onNodeLoss === 'restore')
  if (restore !== -1 && backup === undefined) {
    return { path: ['volumes', restore, 'onNodeLoss'], message: '"restore" needs backups, expected a backup schedule (backup: {every, keep}) or "wait" or "empty"' }
  }
  return undefined
}
