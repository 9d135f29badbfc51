// The small value forms of Compose: environment and labels as a map or a KEY=VALUE
// list, env_file, commands as a list or a shell-like string, sizes and signals.

import { note, problem } from './context.ts'
import type { Context } from './context.ts'
import { InterpolationError, parseEnvFile } from './interpolate.ts'
import type { ComposePath } from './types.ts'

/** A value of an environment or label map as Compose writes it into the container. */
function text (value: unknown): string {
  return typeof value === 'string' ? value : String(value)
}

/**
 * A map or a list of "KEY=VALUE" as a map of strings. A key without a value ("KEY", or
 * `KEY:` empty) takes `fallback(key)`; left out when that is undefined.
 */
export function keyValueMap (value: unknown, fallback: (key: string) => string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  const put = (key: string, given: string | undefined): void => {
    const resolved = given ?? fallback(key)
    if (resolved !== undefined) Object.defineProperty(out, key, { value: resolved, enumerable: true, writable: true, configurable: true })
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      const line = text(item)
      const at = line.indexOf('=')
      put(at === -1 ? line : line.slice(0, at), at === -1 ? undefined : line.slice(at + 1))
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) put(key, item === null ? undefined : text(item))
  }
  return out
}

/** The variables of a service's env_file entries, in order (later files win); problems for unreadable ones. */
export function envFiles (ctx: Context, path: ComposePath, value: unknown): Record<string, string> {
  const entries = (Array.isArray(value) ? value : [value]).map((item) => typeof item === 'string' ? { path: item } : item as { path: string, required?: boolean | string, format?: string })
  let vars: Record<string, string> = {}
  entries.forEach((entry, index) => {
    const at = Array.isArray(value) ? [...path, index] : path
    if (entry.format !== undefined) note(ctx, [...at, 'format'], 'env files are read in the default format')
    let content: string
    try {
      content = ctx.readFile(entry.path).toString('utf8')
    } catch (err) {
      const required = entry.required !== false && entry.required !== 'false'
      if (required) problem(ctx, at, `cannot read ${entry.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
      return
    }
    try {
      vars = { ...vars, ...parseEnvFile(content, ctx.vars) }
    } catch (err) {
      if (!(err instanceof InterpolationError)) throw err
      problem(ctx, at, `${entry.path}: ${err.message}`)
    }
  })
  return vars
}

/** A command or entrypoint: a list as is, a string split like a shell (quotes and backslashes); problems for an unclosed quote. */
export function words (ctx: Context, path: ComposePath, value: unknown): string[] | undefined {
  if (value === null || value === undefined) return undefined
  if (Array.isArray(value)) return value.map(text)
  const out: string[] = []
  let word: string | undefined
  let quote: string | undefined
  const line = text(value)
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote !== undefined) {
      if (c === quote) quote = undefined
      else if (c === '\\' && quote === '"' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word = (word ?? '') + line[++i]!
      else word = (word ?? '') + c
    } else if (c === '"' || c === "'") {
      quote = c
      word ??= ''
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i]!
    } else if (/\s/.test(c)) {
      if (word !== undefined) out.push(word)
      word = undefined
    } else word = (word ?? '') + c
  }
  if (quote !== undefined) { problem(ctx, path, `unclosed ${quote} quote`); return undefined }
  if (word !== undefined) out.push(word)
  return out
}

const SIZE = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i
const UNIT: Readonly<Record<string, number>> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }

/** Bytes in a Compose size ("512M", "1gb", "2048k", 1024), binary units as docker's; undefined if malformed. */
export function bytesOf (value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined
  if (typeof value !== 'string') return undefined
  const match = SIZE.exec(value.trim())
  if (match === null) return undefined
  const bytes = Math.round(Number(match[1]) * UNIT[match[2]!.toLowerCase()]!)
  return Number.isSafeInteger(bytes) ? bytes : undefined
}

/** "TERM" or "sigterm" → "SIGTERM" (Docker accepts both); anything else as written, for the spec's check. */
export function signalOf (value: unknown): string {
  const name = text(value).toUpperCase()
  if (!/^[A-Z][A-Z0-9]*$/.test(name)) return text(value)
  return name.startsWith('SIG') ? name : `SIG${name}`
}
