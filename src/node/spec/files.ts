// The secrets and configs of a spec: which stored object (and version) each file comes
// from, where it goes in the container, with which mode and owner.

import * as z from 'zod'
import type { ConfigRef, SecretRef } from '../../crdt/index.ts'
import { DEFAULT_CONFIG_MODE, DEFAULT_SECRET_MODE, MAX_FILE_REFS, MAX_NAME_LENGTH, MAX_TARGET_LENGTH, SECRETS_DIR } from './constants.ts'

// A name like a service's, then "@N" to pin a version.
const SOURCE = /^([a-z](?:[a-z0-9-]*[a-z0-9])?)(?:@([1-9][0-9]{0,8}))?$/
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/

/** A reference's name and pinned version ("db-pass@2" → db-pass, 2), or undefined when malformed. */
export function parseSource (source: string): { name: string, version?: number } | undefined {
  const match = SOURCE.exec(source)
  if (match === null || match[1]!.length > MAX_NAME_LENGTH) return undefined
  return match[2] === undefined ? { name: match[1]! } : { name: match[1]!, version: Number(match[2]) }
}

/** An absolute path without empty, "." or ".." parts, and not "/" itself. */
export function isCleanAbsolutePath (path: string): boolean {
  if (!path.startsWith('/') || path.length > MAX_TARGET_LENGTH || path.includes('\u0000')) return false
  const parts = path.slice(1).split('/')
  return parts.every((part) => part !== '' && part !== '.' && part !== '..')
}

/** Where a secret's file is in the container. */
export function secretPath (ref: Pick<SecretRef, 'target'>): string {
  return ref.target.startsWith('/') ? ref.target : `${SECRETS_DIR}/${ref.target}`
}

const sourceError = `a name with an optional version, such as "db-pass" or "db-pass@2" (a DNS label of at most ${MAX_NAME_LENGTH} characters)`
const source = z.string({ error: sourceError }).refine((text) => parseSource(text) !== undefined, { error: sourceError })

const modeError = 'a file mode from 0 to 0o777: a number (256 is 0o400) or an octal string such as "0400"'
const mode = z.union([z.number(), z.string()], { error: modeError }).transform((value, ctx) => {
  const bits = typeof value === 'number' ? value : /^0?[0-7]{3}$/.test(value) ? Number.parseInt(value, 8) : NaN
  if (Number.isInteger(bits) && bits >= 0 && bits <= 0o777) return bits
  ctx.addIssue({ code: 'custom', message: modeError })
  return z.NEVER
})

const idError = 'a user or group id from 0 to 2147483647'
const id = z.number({ error: idError }).int({ error: idError }).min(0, { error: idError }).max(2 ** 31 - 1, { error: idError })

const pathError = `an absolute path such as "/etc/app/config.yaml" (no empty, "." or ".." parts, at most ${MAX_TARGET_LENGTH} characters)`
const absolutePath = z.string({ error: pathError }).refine(isCleanAbsolutePath, { error: pathError })
const secretTargetError = `a file name (under ${SECRETS_DIR}) or ${pathError}`
const secretTarget = z.string({ error: secretTargetError })
  .refine((text) => text.startsWith('/') ? isCleanAbsolutePath(text) : FILE_NAME.test(text) && text.length <= 255, { error: secretTargetError })

function refs<Shape extends z.ZodRawShape> (shape: Shape, expected: string) {
  const known = `one of ${Object.keys(shape).join(', ')}`
  const item = z.strictObject(shape, { error: (issue) => issue.code === 'unrecognized_keys' ? known : expected })
  const error = `an array of at most ${MAX_FILE_REFS} ${expected} objects`
  return z.array(item, { error }).max(MAX_FILE_REFS, { error })
}

export const secretRefs = refs({ source, target: secretTarget.optional(), mode: mode.optional(), uid: id.optional(), gid: id.optional() }, '{source, target, mode, uid, gid}')
export const configRefs = refs({ source, target: absolutePath, mode: mode.optional() }, '{source, target, mode}')

/** The stored form of a spec's secrets: defaults filled in, no version yet (the API resolves it). */
export function normaliseSecrets (input: z.output<typeof secretRefs>): SecretRef[] {
  return input.map((ref) => ({
    source: ref.source,
    target: ref.target ?? parseSource(ref.source)!.name,
    mode: ref.mode ?? DEFAULT_SECRET_MODE,
    uid: ref.uid ?? 0,
    gid: ref.gid ?? 0
  }))
}

export function normaliseConfigs (input: z.output<typeof configRefs>): ConfigRef[] {
  return input.map((ref) => ({ source: ref.source, target: ref.target, mode: ref.mode ?? DEFAULT_CONFIG_MODE }))
}
