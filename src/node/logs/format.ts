// How the CLI prints a log line: "web.2@node-1 | text", with Docker's time after the bar when asked.

import type { LogLine } from './types.ts'

/** A line as `meshd service logs` prints it; `time` shown when the line has one (the API sends it with timestamps=1). */
export function formatLogLine (line: Omit<LogLine, 'time'> & { time?: string }): string {
  const prefix = `${line.service}.${line.slot}@${line.node} |`
  return line.time === undefined ? `${prefix} ${line.line}` : `${prefix} ${line.time} ${line.line}`
}
