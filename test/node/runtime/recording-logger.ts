import type { Logger } from '../../../src/crdt/types.ts'

export interface LogEntry { level: 'debug' | 'info' | 'warn' | 'error', obj: unknown, msg?: string }

/** A Logger that keeps every entry, so tests can assert what was logged and how often. */
export function recordingLogger (entries: LogEntry[] = []): Logger & { entries: LogEntry[] } {
  const record = (level: LogEntry['level']) => (obj: unknown, msg?: string): void => {
    entries.push({ level, obj, ...(msg === undefined ? {} : { msg }) })
  }
  return {
    entries,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    child: () => recordingLogger(entries)
  }
}

/** Messages logged at level (the msg argument, or the object when it is a string). */
export function messages (entries: LogEntry[], level: LogEntry['level']): string[] {
  return entries.filter(entry => entry.level === level).map(entry => entry.msg ?? String(entry.obj))
}
