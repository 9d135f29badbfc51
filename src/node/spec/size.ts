// Memory sizes as Docker's CLI writes them (`--memory 64m`): a number and a binary
// unit, so "64M", "64MB" and "64MiB" all mean 64 × 2^20 bytes, as in --capacity.

const UNIT_BYTES: Readonly<Record<string, number>> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }

// A unit letter with an optional "b"/"ib", or a bare "b"; nothing else ("64i" is a typo).
const SIZE = /^(\d+(?:\.\d+)?)(?:([kmgt])(?:i?b)?|b)?$/i

// Longer strings are never a sensible size and would only cost time.
const MAX_TEXT_LENGTH = 32

/** Bytes in a size like "64MiB", "1.5g" or "512b", rounded; undefined for anything else. */
export function parseSize (text: string): number | undefined {
  if (text.length > MAX_TEXT_LENGTH) return undefined
  const match = SIZE.exec(text)
  if (match === null) return undefined
  const bytes = Math.round(Number(match[1]) * (UNIT_BYTES[(match[2] ?? '').toLowerCase()] as number))
  return Number.isSafeInteger(bytes) ? bytes : undefined
}

/** The shortest exact binary size for bytes: 6291456 → "6MiB", 1536 → "1.5KiB", 100 → "100B". */
export function formatSize (bytes: number): string {
  for (const unit of ['t', 'g', 'm', 'k'] as const) {
    const scaled = bytes / (UNIT_BYTES[unit] as number)
    // Whole or one decimal only: "1.5KiB" reads well, "1.46484375KiB" does not.
    if (scaled >= 1 && Number.isInteger(scaled * 10)) return `${scaled}${unit.toUpperCase()}iB`
  }
  return `${bytes}B`
}
