// Compose durations are Go durations ("1m30s"); parsing them here keeps health
// timing in milliseconds everywhere else. Stricter than Go on purpose: no sign and
// no bare "0", so a forgotten unit ("5") is an error instead of a surprise.

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign, as Go accepts
  'μs': 1e-3, // U+03BC Greek mu, likewise
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000
}

// "ms" before "m" and "s", or "500ms" would read as 500 minutes and a stray "s".
// The two micro signs are escaped: one non-ASCII character in the bundle makes Node
// hold its whole source as UTF-16, twice the memory (scripts/build.ts checks).
const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y

// Longer strings are never a sensible duration and would only cost time.
const MAX_TEXT_LENGTH = 64

/** Milliseconds in a Go/compose duration like "1m30s" or "250us", rounded; throws on anything else. */
export function parseDuration (text: string): number {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_TEXT_LENGTH) {
    throw new SyntaxError(`invalid duration ${JSON.stringify(text)}`)
  }
  let total = 0
  TERM.lastIndex = 0
  while (TERM.lastIndex < text.length) {
    const match = TERM.exec(text)
    if (match === null) throw new SyntaxError(`invalid duration ${JSON.stringify(text)}`)
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number)
  }
  const ms = Math.round(total)
  if (!Number.isSafeInteger(ms)) throw new RangeError(`duration ${JSON.stringify(text)} is too long`)
  return ms
}

/** The shortest duration string that parseDuration reads back as `ms` ("1m30s", "500ms", "0s"). */
export function formatDuration (ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot format ${ms} as a duration`)
  let rest = Math.round(ms)
  if (rest === 0) return '0s'
  if (rest < 1000) return `${rest}ms`
  const hours = Math.floor(rest / 3_600_000)
  rest -= hours * 3_600_000
  const minutes = Math.floor(rest / 60_000)
  rest -= minutes * 60_000
  // Whole milliseconds as a decimal fraction of a second: 1500 → "1.5".
  const seconds = rest === 0 ? '' : `${rest / 1000}s`
  return `${hours > 0 ? `${hours}h` : ''}${minutes > 0 ? `${minutes}m` : ''}${seconds}`
}
