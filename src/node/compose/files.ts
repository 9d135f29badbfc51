// Compose secrets and configs → meshd's. A top-level `file:` (read next to the Compose
// file), `environment:` or `content:` becomes a secret or config the stack creates or
// updates, named STACK-KEY; `external:` uses an existing one by its name. A service's
// references (short or long syntax) point at those names.

import { specLimits } from '../spec/index.ts'
import { mapOf, note, noteOthers, numberOf, problem } from './context.ts'
import type { Context } from './context.ts'
import type { ComposePath, StackFile } from './types.ts'

export type FileKind = 'secrets' | 'configs'

/** The files a stack creates, and meshd's name for every declared key. */
export interface Declared {
  files: StackFile[]
  names: Map<string, string>
}

/** meshd's name for a stack's own secret or config: STACK-KEY, cleaned into a DNS label. */
export function stackFileName (stack: string, key: string): string {
  return `${stack}-${key.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '')}`
}

/** The top-level secrets or configs: the files to create and the names to refer to. */
export function declaredFiles (ctx: Context, kind: FileKind, definitions: Record<string, unknown>): Declared {
  const out: Declared = { files: [], names: new Map() }
  for (const [key, definition] of Object.entries(definitions)) {
    const path = [kind, key]
    const map = mapOf(definition) ?? {}
    const external = map.external === true || map.external === 'true' || mapOf(map.external) !== undefined
    noteOthers(ctx, path, map, ['file', 'environment', 'content', 'external', 'name'], {
      driver: 'meshd stores secrets and configs itself (encrypted secrets in the cluster document)',
      driver_opts: 'meshd stores secrets and configs itself',
      template_driver: 'contents are used as written: no template is expanded',
      labels: `meshd keeps no labels on ${kind}`
    }, 'not used by meshd')
    if (external) {
      out.names.set(key, typeof map.name === 'string' ? map.name : key)
      continue
    }
    const name = stackFileName(ctx.stack, key)
    if (map.name !== undefined) note(ctx, [...path, 'name'], `the stack names its own ${kind} STACK-KEY: this one is ${name}`)
    out.names.set(key, name)
    const bytes = contentOf(ctx, path, map, kind)
    if (bytes === undefined) continue
    if (bytes.length > specLimits.MAX_STORED_BYTES) {
      problem(ctx, path, `${bytes.length} bytes: a secret or config holds at most ${specLimits.MAX_STORED_BYTES}`)
      continue
    }
    out.files.push({ name, data: bytes.toString('base64') })
  }
  return out
}

function contentOf (ctx: Context, path: ComposePath, map: Record<string, unknown>, kind: FileKind): Buffer | undefined {
  if (typeof map.file === 'string') {
    try {
      return ctx.readFile(map.file)
    } catch (err) {
      problem(ctx, [...path, 'file'], `cannot read ${map.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
      return undefined
    }
  }
  if (typeof map.environment === 'string') {
    const value = ctx.vars[map.environment]
    if (value === undefined) problem(ctx, [...path, 'environment'], `variable ${map.environment} is not set`)
    return value === undefined ? undefined : Buffer.from(value, 'utf8')
  }
  if (kind === 'configs' && typeof map.content === 'string') return Buffer.from(map.content, 'utf8')
  problem(ctx, path, `expected file:, environment:${kind === 'configs' ? ', content:' : ''} or external: true`)
  return undefined
}

/** A service's references to secrets or configs, as meshd refs. */
export function refsOf (ctx: Context, service: ComposePath, kind: FileKind, refs: unknown, declared: Declared): Array<Record<string, unknown>> {
  if (!Array.isArray(refs)) return []
  const out: Array<Record<string, unknown>> = []
  refs.forEach((item, index) => {
    const path = [...service, kind, index]
    const long = mapOf(item)
    const key = String(long === undefined ? item : long.source)
    const source = declared.names.get(key)
    if (source === undefined) { problem(ctx, path, `${kind === 'secrets' ? 'secret' : 'config'} ${JSON.stringify(key)} is not declared under the top-level ${kind}:`); return }
    // Compose's default targets: /run/secrets/KEY for a secret, /KEY for a config.
    const target = long?.target === undefined ? (kind === 'secrets' ? key : `/${key}`) : String(long.target)
    const ref: Record<string, unknown> = { source, target }
    if (long !== undefined) {
      if (long.mode !== undefined) ref.mode = modeOf(ctx, [...path, 'mode'], long.mode)
      if (kind === 'secrets') {
        if (long.uid !== undefined) ref.uid = numberOf(long.uid) ?? long.uid
        if (long.gid !== undefined) ref.gid = numberOf(long.gid) ?? long.gid
      } else {
        noteOthers(ctx, path, long, ['source', 'target', 'mode'], { uid: 'a config file is owned by root', gid: 'a config file is owned by root' }, 'not used by meshd')
      }
    }
    out.push(ref)
  })
  return out
}

// YAML 1.2 reads 0440 as a decimal number; Compose (YAML 1.1) as octal: the text decides.
function modeOf (ctx: Context, path: ComposePath, value: unknown): unknown {
  const written = ctx.source.sourceOf(path)
  if (written !== undefined && /^0[0-7]+$/.test(written)) return Number.parseInt(written, 8)
  if (typeof value === 'string' && /^0?o?[0-7]{3,4}$/.test(value)) return Number.parseInt(value.replace(/^0?o?/, ''), 8)
  return value
}
