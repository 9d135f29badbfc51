// The body of `PUT /v1/stacks/NAME`, checked whole before anything looks at the
// document: every service through the same parser as `PUT /v1/services/NAME`, every
// file's name and content. An error names the field from the body's root
// (`services[2].env.FOO`, `secrets[0].data`); a file's content is never echoed.

import type { ServiceSpec } from '../../crdt/index.ts'
import { MeshdError } from '../errors.ts'
import { parseServiceSpec, specLimits } from '../spec/index.ts'
import { MAX_STACK_FILES, MAX_STACK_SERVICES } from './constants.ts'
import { assertSize } from './stored.ts'
import type { StoredKind } from './stored.ts'

/** A secret or config a stack brings from a file: created, or updated when its content differs. */
export interface StackFile { kind: StoredKind, name: string, content: Buffer }

/** A stack write, validated. */
export interface StackRequest {
  stack: string
  /** Parsed and normalised; their secret and config references not yet resolved. */
  services: ServiceSpec[]
  files: StackFile[]
  prune: boolean
  dryRun: boolean
}

const LABEL = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const FIELDS = ['services', 'secrets', 'configs', 'prune', 'dryRun']
/** A stack's name leaves room for "-X" in its services' names. */
const MAX_STACK_NAME = specLimits.MAX_NAME_LENGTH - 2

/** MESHD_INVALID_SPEC (400) naming `name` unless the stack's name is a DNS label short enough to prefix service names. */
export function assertStackName (name: string): void {
  if (name.length > MAX_STACK_NAME || !LABEL.test(name)) {
    throw invalid('name', `expected a stack name that is a DNS label (lowercase letters, digits and "-", starting with a letter, at most ${MAX_STACK_NAME} characters), got ${JSON.stringify(name.slice(0, 80))}`)
  }
}

/** The request, or MESHD_INVALID_SPEC (or MESHD_TOO_LARGE) naming the first bad field; nothing is read from the document. */
export function parseStackRequest (body: unknown, stack: string): StackRequest {
  assertStackName(stack)
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body', 'expected an object {services, secrets, configs, prune, dryRun}')
  const fields = body as Record<string, unknown>
  const extra = Object.keys(fields).find((key) => !FIELDS.includes(key))
  if (extra !== undefined) throw invalid(extra, `unknown field, expected one of ${FIELDS.join(', ')}`)
  return {
    stack,
    services: servicesOf(fields.services, stack),
    files: [...filesOf(fields.secrets, 'secret'), ...filesOf(fields.configs, 'config')],
    prune: flag(fields.prune, 'prune'),
    dryRun: flag(fields.dryRun, 'dryRun')
  }
}

function servicesOf (value: unknown, stack: string): ServiceSpec[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_STACK_SERVICES) {
    throw invalid('services', `expected an array of 1 to ${MAX_STACK_SERVICES} service specs`)
  }
  const seen = new Set<string>()
  return value.map((input: unknown, i) => {
    const at = `services[${i}]`
    const spec = within(at, () => parseServiceSpec(input))
    if (spec.stack !== stack) {
      throw invalid(`${at}.stack`, `expected "${stack}" (the stack's name), got ${spec.stack === undefined ? 'nothing' : JSON.stringify(spec.stack)}`)
    }
    if (seen.has(spec.name)) throw invalid(`${at}.name`, `"${spec.name}" is listed twice, expected each service once`)
    seen.add(spec.name)
    return spec
  })
}

function filesOf (value: unknown, kind: StoredKind): StackFile[] {
  const field = `${kind}s`
  if (value === undefined) return []
  if (!Array.isArray(value) || value.length > MAX_STACK_FILES) throw invalid(field, `expected an array of at most ${MAX_STACK_FILES} {name, data} objects`)
  const seen = new Set<string>()
  return value.map((entry: unknown, i) => {
    const at = `${field}[${i}]`
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid(at, 'expected an object {name, data}')
    const { name, data, ...rest } = entry as Record<string, unknown>
    const unknown = Object.keys(rest)[0]
    if (unknown !== undefined) throw invalid(`${at}${pathOf(unknown)}`, 'unknown field, expected one of name, data')
    if (typeof name !== 'string' || name.length > specLimits.MAX_NAME_LENGTH || !LABEL.test(name)) {
      throw invalid(`${at}.name`, `expected a DNS label (lowercase letters, digits and "-", starting with a letter, at most ${specLimits.MAX_NAME_LENGTH} characters) for the ${kind}'s name`)
    }
    if (seen.has(name)) throw invalid(`${at}.name`, `"${name}" is listed twice, expected each ${kind} once`)
    seen.add(name)
    if (typeof data !== 'string' || !BASE64.test(data)) throw invalid(`${at}.data`, `expected the ${kind}'s content in base64 (the value is not shown)`)
    const content = Buffer.from(data, 'base64')
    assertSize(kind, content, `${at}.data`)
    return { kind, name, content }
  })
}

function flag (value: unknown, field: string): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw invalid(field, `expected true or false, got ${typeof value}`)
  return value
}

/** Runs the parse of one part of the body, its error's path put under `at` ("services[2]" + "env.FOO"). */
export function within<T> (at: string, parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    if (!(err instanceof MeshdError) || err.path === undefined) throw err
    const path = `${at}${pathOf(err.path)}`
    // The spec parser's messages start with the path, or "spec" for the whole body.
    const prefix = `${err.path === '' ? 'spec' : err.path}: `
    const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message
    throw new MeshdError(err.code, `${path}: ${message}`, path)
  }
}

/** A field path as it follows another: ".env.FOO", "[0]" or "" for the empty path. */
function pathOf (path: string): string {
  if (path === '' || path.startsWith('[')) return path
  return /^[A-Za-z_$][A-Za-z0-9_$]*/.test(path) ? `.${path}` : `[${JSON.stringify(path)}]`
}

function invalid (path: string, message: string): MeshdError {
  return new MeshdError('MESHD_INVALID_SPEC', `${path}: ${message}`, path)
}
