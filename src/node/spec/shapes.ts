// The zod building blocks every part of a spec is made of: a strict object that lists
// its known fields, bounded integers, durations and memory sizes. Each carries the
// "expected …" half of its error message (issues.ts adds the path and the value given).

// A namespace import, not `import { z }`: esbuild then bundles only the schemas used.
import * as z from 'zod'
import { formatDuration, parseDuration } from './duration.ts'
import { formatSize, parseSize } from './size.ts'

/** A strict object whose unknown keys are reported with the list of known ones. */
export function strictObject<Shape extends z.ZodRawShape> (shape: Shape, expected: string) {
  const known = `one of ${Object.keys(shape).join(', ')}`
  return z.strictObject(shape, { error: (issue) => issue.code === 'unrecognized_keys' ? known : expected })
}

export function integer (min: number, max: number) {
  const error = `an integer between ${min} and ${max}`
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error })
}

/** A duration string ("5s", "1m30s") between minMs and maxMs; the output stays the string. */
export function duration (minMs: number, maxMs: number) {
  const error = `a duration between ${formatDuration(minMs)} and ${formatDuration(maxMs)} such as "500ms", "5s" or "1m30s"`
  return z.string({ error }).refine((text) => {
    try {
      const ms = parseDuration(text)
      return ms >= minMs && ms <= maxMs
    } catch {
      return false
    }
  }, { error })
}

/** A memory size in bytes, given as bytes or as a size string ("64MiB"); the output is always bytes. */
export function memorySize (min: number, max: number) {
  const error = `a memory size between ${formatSize(min)} and ${formatSize(max)}: bytes, or a string such as "64MiB" or "1g"`
  return z.union([z.number(), z.string()], { error }).transform((value, ctx) => {
    const bytes = typeof value === 'number' ? value : parseSize(value)
    if (bytes !== undefined && Number.isSafeInteger(bytes) && bytes >= min && bytes <= max) return bytes
    ctx.addIssue({ code: 'custom', message: error })
    return z.NEVER
  })
}
