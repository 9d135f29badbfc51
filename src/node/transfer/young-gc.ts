// Young-generation collections while a transfer moves its bytes. Every chunk of a transfer
// is a new Buffer (a pipe's or socket's read, a cipher's output) that dies within
// microseconds, but V8 frees a dead Buffer's memory only at a collection, and the streams
// allocate so few JavaScript objects per byte that the young generation (small under the
// daemon's --optimize-for-size) rarely fills: tens of megabytes of dead Buffers pile up
// outside the heap, counted against the old generation's limit, and V8 answers with a full
// mark-compact of the daemon's whole heap (~35 MB) every few megabytes moved. A profile of
// a drain showed more time in those collections than in the cipher and the hash together.
// A scavenge after each COLLECT_EVERY_BYTES moved frees the dead Buffers while they are
// still young, for a millisecond or so: about half the CPU time of each side of a 100 MiB
// transfer, and a drain's copy ~1.3x a `tar | tar` instead of ~4x (bench/volumes.ts).
// V8's own `gc` function is reached through a context of its own (the main one keeps no
// `gc` global); when that fails, collections are left to V8.

import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { COLLECT_EVERY_BYTES } from './constants.ts'

type Collect = (options: { type: 'minor' }) => void

let collect: Collect | null | undefined
let pending = 0

function obtain (): Collect | null {
  const exposed = (globalThis as { gc?: unknown }).gc
  if (typeof exposed === 'function') return exposed as Collect
  try {
    setFlagsFromString('--expose-gc')
    const gc: unknown = runInNewContext('gc')
    return typeof gc === 'function' ? gc as Collect : null
  } catch {
    return null
  } finally {
    setFlagsFromString('--no-expose-gc')
  }
}

/** Counts `bytes` a transfer moved; collects the young generation after every COLLECT_EVERY_BYTES, across transfers. */
export function transferred (bytes: number): void {
  pending += bytes
  if (pending < COLLECT_EVERY_BYTES) return
  pending = 0
  collect ??= obtain()
  collect?.({ type: 'minor' })
}
