// Plain aligned tables for people; scripts use --json.

/** Renders rows under headers with columns padded to their widest cell. */
export function table (headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)))
  const line = (cells: string[]): string => cells.map((cell, i) => i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)).join('   ').trimEnd()
  return [line(headers), ...rows.map(line)].join('\n') + '\n'
}

/** How long ago a timestamp was, e.g. "3s", "5m", "2h". */
export function ago (timestamp: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - timestamp) / 1000))
  if (s < 120) return `${s}s`
  if (s < 7200) return `${Math.round(s / 60)}m`
  return `${Math.round(s / 3600)}h`
}
