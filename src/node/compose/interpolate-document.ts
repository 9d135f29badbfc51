// Interpolation over the whole Compose document, as docker compose does before it reads
// anything: every string value (never a key), with the process environment over the
// .env file. A failure is placed at its value; an unset variable is noted once.

import { note, problem } from './context.ts'
import type { Context } from './context.ts'
import { interpolate, InterpolationError, parseEnvFile } from './interpolate.ts'
import type { ComposeInput, ComposePath } from './types.ts'

/** The interpolated document and the variables it was interpolated with. */
export function interpolateDocument (ctx: Context, input: ComposeInput): { document: unknown, vars: Record<string, string> } {
  const environment: Record<string, string> = {}
  for (const [key, value] of Object.entries(input.env)) if (value !== undefined) environment[key] = value
  let dotEnv: Record<string, string> = {}
  try {
    dotEnv = input.dotEnv === undefined ? {} : parseEnvFile(input.dotEnv, environment)
  } catch (err) {
    if (!(err instanceof InterpolationError)) throw err
    ctx.problems.push({ file: '.env', line: Number(/^line (\d+)/.exec(err.message)?.[1] ?? 1), column: 1, path: '', why: err.message.replace(/^line \d+: /, '') })
  }
  const vars = { ...dotEnv, ...environment }
  const unset = new Set<string>()
  const walk = (value: unknown, path: ComposePath): unknown => {
    if (typeof value === 'string') {
      if (!value.includes('$')) return value
      try {
        const result = interpolate(value, vars)
        for (const name of result.unset) {
          if (unset.has(name)) continue
          unset.add(name)
          note(ctx, path, `variable ${name} is not set: a blank string is used`)
        }
        return result.value
      } catch (err) {
        if (!(err instanceof InterpolationError)) throw err
        problem(ctx, path, err.message)
        return value
      }
    }
    if (Array.isArray(value)) return value.map((item, index) => walk(item, [...path, index]))
    if (typeof value === 'object' && value !== null) {
      const out: Record<string, unknown> = {}
      for (const [key, item] of Object.entries(value)) {
        Object.defineProperty(out, key, { value: walk(item, [...path, key]), enumerable: true, writable: true, configurable: true })
      }
      return out
    }
    return value
  }
  return { document: walk(ctx.source.value, []), vars }
}
