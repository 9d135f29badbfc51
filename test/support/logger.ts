// The one test logger: keeps every entry for assertions, and prints them as they come
// when MESHD_TEST_LOG is set (MESHD_TEST_LOG=debug prints debug lines too).

import type { Logger } from '../../src/logger.ts'
export { silentLogger as silent } from '../../src/logger.ts'

export interface LogEntry { level: 'debug' | 'info' | 'warn' | 'error', obj: unknown, msg?: string }

export interface RecordingLogger extends Logger {
  entries: LogEntry[]
  /** The warn entries so far. */
  readonly warns: LogEntry[]
  /** The error entries so far. */
  readonly errors: LogEntry[]
}

/** A logger that keeps what it is given; `name` prefixes printed lines. Children share the entries. */
export function recordingLogger (name = 'test', entries: LogEntry[] = []): RecordingLogger {
  const print = process.env.MESHD_TEST_LOG
  const record = (level: LogEntry['level']) => (obj: unknown, msg?: string): void => {
    entries.push({ level, obj, ...(msg === undefined ? {} : { msg }) })
    if (print !== undefined && (level !== 'debug' || print === 'debug')) {
      console.log(`[${name}] ${level} ${msg ?? ''} ${JSON.stringify(obj, (_k, v: unknown) => v instanceof Error ? v.message : v)}`)
    }
  }
  return {
    entries,
    get warns () { return entries.filter((e) => e.level === 'warn') },
    get errors () { return entries.filter((e) => e.level === 'error') },
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    child: () => recordingLogger(name, entries)
  }
}

/** Messages logged at `level` (the msg argument, or the object when it is a string). */
export function messages (entries: LogEntry[], level: LogEntry['level']): string[] {
  return entries.filter((entry) => entry.level === level).map((entry) => entry.msg ?? String(entry.obj))
}
