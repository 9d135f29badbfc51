// Where the content of `meshd secret|config create|update` comes from, and reading it.
// Never from an argument: ps and shell history show every argument to others. Read as
// bytes, so binary content survives, and never more than the API takes.

import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'

/** A secret or a config: its commands are the same, under `/v1/secrets` or `/v1/configs`. */
export type StoredKind = 'secret' | 'config'

/** The most content a secret or config holds; the API answers 413 beyond. */
export const MAX_STORED_BYTES = 512 * 1024

export type ContentSource = { from: 'file', path: string } | { from: 'stdin' }

/** What the command line gave: `-f FILE` (or `-f -`), and the argument after NAME ("-" only). */
export interface ContentFlags { file?: string, dash?: string }

/** The source of a command's content (`verb`: "create NAME"); throws saying how to give it when there is none. */
export function contentSource (kind: StoredKind, verb: string, flags: ContentFlags, stdinIsTTY: boolean): ContentSource {
  const usage = `give -f FILE, or the content on stdin: meshd ${kind} ${verb} - < FILE`
  if (flags.dash !== undefined && flags.dash !== '-') {
    // The argument is not repeated: it may be the very value that must not be shown.
    const exposed = kind === 'secret' ? ' (if that was the value, treat it as exposed and change it)' : ''
    throw new Error(`a ${kind}'s content is never taken from an argument, which ps and shell history show${exposed}: ${usage}`)
  }
  if (flags.dash === '-' && flags.file !== undefined && flags.file !== '-') {
    throw new Error(`the content comes either from -f FILE or from stdin ("-"), not both: ${usage}`)
  }
  const stdin = flags.dash === '-' || flags.file === '-' || (flags.file === undefined && !stdinIsTTY)
  if (!stdin) {
    if (flags.file === undefined) throw new Error(`no content for the ${kind} (stdin is a terminal): ${usage}`)
    return { from: 'file', path: flags.file }
  }
  // A terminal echoes what is typed; a config may be typed there (ended by Ctrl-D), a secret not.
  if (stdinIsTTY && kind === 'secret') throw new Error(`stdin is a terminal, which would echo the secret as it is typed: ${usage}`)
  return { from: 'stdin' }
}

class TooLargeError extends Error {}

const READ_ERRORS: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'it is a directory' }

/** The source's bytes; throws when it cannot be read, is empty or holds more than `limit` bytes. */
export async function readContent (kind: StoredKind, source: ContentSource, stdin: Readable, limit = MAX_STORED_BYTES): Promise<Buffer> {
  const where = source.from === 'file' ? source.path : 'stdin'
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of source.from === 'file' ? createReadStream(source.path) : stdin) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string)
      size += bytes.byteLength
      // Stop reading at once: a wrong file may be gigabytes.
      if (size > limit) throw new TooLargeError(`${where} holds more than ${sizeText(limit)}: a ${kind} holds at most ${sizeText(limit)}`)
      chunks.push(bytes)
    }
  } catch (err) {
    if (err instanceof TooLargeError) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw new Error(`cannot read ${where}: ${READ_ERRORS[code ?? ''] ?? code ?? (err as Error).message}`)
  }
  if (size === 0) throw new Error(`${where} is empty: a ${kind} needs content`)
  return Buffer.concat(chunks, size)
}

/** Bytes for people: "312 B", "1.5 KiB", "512 KiB", "2 MiB". */
export function sizeText (bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const [amount, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KiB'] : [bytes / (1024 * 1024), 'MiB']
  return `${Number.isInteger(amount) ? amount : amount.toFixed(1)} ${unit}`
}
