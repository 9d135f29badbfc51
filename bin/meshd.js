#!/usr/bin/env node
// The meshd command. Runs the bundle (dist/meshd.mjs and the chunks of dist/chunks/ it
// imports, built by `npm run build`) when it is newer than every source file; otherwise
// the TypeScript sources directly (Node 24 strips types), so a stale bundle can never
// hide a change. The build keeps in chunks of their own, loaded on first use, what only
// some runs need (the ACME client, the Compose parser, YAML, mDNS, prom-client), and
// keeps what the daemon never runs from costing it memory (scripts/build.ts says how).

import { readdirSync, statSync } from 'node:fs'
import { enableCompileCache, flushCompileCache } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// The daemon (`start`, `join`) runs with V8 flags that trade JIT speed for memory
// (BENCHMARKS.md, "Idle daemon RSS"; together ~25 MB of the ~100 MB an idle daemon takes):
//   --optimize-for-size    smaller heap growth steps and denser objects
//   --max-opt=1            the interpreter and the Sparkplug baseline compiler only: no
//                          Maglev or TurboFan, whose code, compiler memory and machine code
//                          an idle daemon would otherwise keep resident
//   --bytecode-old-age=1   a function not run between two full GCs loses its bytecode
//   --flush-baseline-code  (default 6 GCs), and its Sparkplug code too: the code cache
//                          hands the daemon ~2.5 MB of bytecode and ~2 MB of code for
//                          functions that ran once at start; a flushed one is compiled
//                          again from its source when next called
// and with glibc's malloc told to keep less (environment, read as the process starts):
//   MALLOC_ARENA_MAX=2     two arenas instead of 8 per core, one per thread
//   MALLOC_TRIM_THRESHOLD_ / MALLOC_MMAP_THRESHOLD_=131072  fixed at 128 KiB: glibc
//                          otherwise raises both as large blocks are freed and keeps
//                          freed memory at the top of its heaps
// V8 and glibc read them only as the process starts, so it replaces itself with one
// that has them (process.execve keeps the PID that supervisors and tests watch). Flags
// given to node come after these and win (`node --max-opt=4 bin/meshd.js start ...` has
// the full JIT), and a variable already set is kept.
// Measured with one service of 3 busybox replicas idle for 30 s (VmRSS, median of 3,
// 2026-12-03, on this machine with others at work; without the additions 85.0 MB):
// MALLOC_ARENA_MAX=2 alone 82.7; bytecode-old-age=1 alone 82.4; flush-baseline-code
// alone 85.1; both flushing flags 80.3; with MALLOC_ARENA_MAX=2 78.6; with the two
// thresholds 79.0; all of them 77.9. No effect (within 0.5 MB): --max-semi-space-size=1,
// --v8-pool-size=1 with UV_THREADPOOL_SIZE=2, the pulse worker's maxYoungGenerationSizeMb=1.
// What they may cost: flushed functions are compiled again on their next call (a deploy
// after a long idle runs many), and two arenas are locks the threads share: the pulse
// thread may wait on one the main thread holds. The BENCHMARKS run of 2026-12-03 with
// both flushing flags and MALLOC_ARENA_MAX=2 saw a node starved of CPU falsely declared
// dead twice (0 before) and a one-replica deploy at 1.3x docker run (1.2x before), which
// has not been told apart from noise: if it recurs, drop MALLOC_ARENA_MAX first.
// Later features (metrics, events, logs, dashboard, autoscale, alerts, ingress, certs)
// brought it to 87-90 MB. Then (2026-12-03, three rounds side by side with the build
// before them): 88.2 -> 84.0 MB, RssAnon 41.1 -> 37.0, RssFile 47.1 -> 47.0. By parts,
// measured apart (they overlap, so they add up to more than the whole): the
// build's lazy chunks (~1 MB: Node keeps the source of what it loaded), one ES module per
// imported builtin instead of a copy of its exports per importer (~1.3 MB of heap), zod
// imported as a namespace everywhere (its `z` object brought every locale; ~1.3 MB of
// heap), a lazy node:http2 (~1.5 MB) and the pulse worker's heap limit (~0.8 MB). Tried
// without gain: --minor-ms, --memory-saver-mode, --single-threaded, MALLOC_ARENA_MAX=1.
// --jitless saves ~3.5 MB more but cuts the mesh's new connections/s by half (211 ->
// 81-122 on this loaded machine); --no-short-builtin-calls saves ~2 MB of VmRSS only by
// not mapping V8's embedded builtins once more per isolate (the same file pages).
const DAEMON_V8_FLAGS = ['--optimize-for-size', '--max-opt=1', '--bytecode-old-age=1', '--flush-baseline-code']
const DAEMON_MALLOC = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072', MALLOC_MMAP_THRESHOLD_: '131072' }
if ((process.argv[2] === 'start' || process.argv[2] === 'join') && typeof process.execve === 'function' &&
    !DAEMON_V8_FLAGS.every((flag) => process.execArgv.includes(flag))) {
  process.execve(process.execPath, [process.execPath, ...DAEMON_V8_FLAGS, ...process.execArgv, ...process.argv.slice(1)],
    { ...DAEMON_MALLOC, ...process.env })
}

const root = fileURLToPath(new URL('..', import.meta.url))
const bundle = join(root, 'dist', 'meshd.mjs')

function newestSource (dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }
  return newest
}

function bundleIsFresh () {
  try {
    return statSync(bundle).mtimeMs >= newestSource(join(root, 'src'))
  } catch {
    return false
  }
}

const fresh = bundleIsFresh()
// V8's code cache for the bundle (written by the first run, kept beside it, cleared by
// the build): a start then skips parsing ~2.0 MB of JavaScript, whose ~9 MB of compiler
// memory glibc would otherwise keep (a third of the daemon's heap), and starts sooner.
// Node keeps each cache it read (~1.6 MB for the daemon's modules) for the process' life.
if (fresh) enableCompileCache(join(root, 'dist', 'compile-cache'))

// For stack traces with source positions, run with NODE_OPTIONS=--enable-source-maps
// (it costs ~50 MB, so it is not the default).
const { main } = await import(fresh ? bundle : '../src/node/cli/main.ts')
if (fresh) flushCompileCache()
main(process.argv).catch((err) => {
  process.stderr.write(`meshd: ${err?.message ?? err}\n`)
  process.exitCode = 1
})
