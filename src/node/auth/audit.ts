// The audit log: one JSON line per write and per refused request, in DATA_DIR/audit.log
// (mode 0600), rotated at AUDIT_MAX_BYTES with AUDIT_FILES files kept. Each line is one
// synchronous append (a few microseconds; a flood of refusals costs milliseconds), so
// lines are in order and rotation never races a pending write. A failing disk is
// logged, never fatal.

import { closeSync, existsSync, fstatSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../../logger.ts'
import { AUDIT_FILES, AUDIT_MAX_BYTES } from './constants.ts'

export const AUDIT_FILE = 'audit.log'

export interface AuditEntry {
  time: string
  /** The token's name, or null when the request carried no valid token. */
  token: string | null
  role: string | null
  method: string
  path: string
  status: number
  client: string
}

export class AuditLog {
  private readonly path: string
  private readonly log: Logger
  private readonly maxBytes: number
  private fd: number | undefined
  private bytes = 0
  private failing = false

  constructor (dataDir: string, log: Logger, maxBytes = AUDIT_MAX_BYTES) {
    this.path = join(dataDir, AUDIT_FILE)
    this.log = log
    this.maxBytes = maxBytes
  }

  start (): void {
    if (this.fd !== undefined) return
    this.open()
  }

  stop (): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }

  /** Appends one line (rotating first when the file is full). */
  append (entry: AuditEntry): void {
    if (this.fd === undefined) return
    const line = Buffer.from(`${JSON.stringify(entry)}\n`)
    if (this.bytes + line.byteLength > this.maxBytes) this.rotate()
    try {
      writeSync(this.fd, line)
      this.bytes += line.byteLength
      this.failing = false
    } catch (err) {
      if (!this.failing) this.log.error({ err: (err as Error).message, path: this.path }, 'cannot write the audit log')
      this.failing = true
    }
  }

  /** The last `limit` entries, oldest first, across the kept files. */
  tail (limit: number): AuditEntry[] {
    const lines: string[] = []
    for (let i = 0; i < AUDIT_FILES && lines.length < limit; i++) {
      const file = i === 0 ? this.path : `${this.path}.${i}`
      if (!existsSync(file)) break
      const text = readFileSync(file, 'utf8')
      lines.unshift(...text.split('\n').filter((line) => line !== ''))
    }
    return lines.slice(-limit).flatMap((line) => {
      try {
        return [JSON.parse(line) as AuditEntry]
      } catch {
        return []
      }
    })
  }

  private open (): void {
    this.fd = openSync(this.path, 'a', 0o600)
    this.bytes = fstatSync(this.fd).size
  }

  // audit.log → audit.log.1 → … → audit.log.(AUDIT_FILES-1); the oldest is dropped.
  private rotate (): void {
    this.stop()
    try {
      rmSync(`${this.path}.${AUDIT_FILES - 1}`, { force: true })
      for (let i = AUDIT_FILES - 2; i >= 1; i--) {
        if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`)
      }
      renameSync(this.path, `${this.path}.1`)
    } catch (err) {
      this.log.error({ err: (err as Error).message, path: this.path }, 'cannot rotate the audit log')
    }
    this.open()
  }
}
