#!/usr/bin/env node
// The meshd command. Runs the bundle (dist/meshd.mjs, built by `npm run build`) when it
// is newer than every source file; otherwise the TypeScript sources directly (Node 24
// strips types), so a stale bundle can never hide a change.

import { readdirSync, statSync } from 'node:fs'
import { enableCompileCache, flushCompileCache } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// The daemon (`start`, `join`) runs with V8 flags that trade JIT speed for memory
// (BENCHMARKS.md, "Idle daemon RSS"; together ~25 MB of the ~100 MB an idle daemon takes):
//   --optimize-for-size  smaller heap growth steps and denser objects
//   --max-opt=1          the interpreter and the Sparkplug baseline compiler only: no
//                        Maglev or TurboFan, whose code, compiler memory and machine code
//                        an idle daemon would otherwise keep resident
// V8 reads them only as it starts, so the process replaces itself with one that has them
// (process.execve keeps the PID that supervisors and tests watch). Flags given to node
// come after these and win: `node --max-opt=4 bin/meshd.js start ...` has the full JIT.
// Tried and left out (BENCHMARKS run of 2026-12-03): --bytecode-old-age=1
// --flush-baseline-code and MALLOC_ARENA_MAX=2 took the idle RSS from ~80 to 76 MB, but in
// the same run a node starved of CPU was falsely declared dead twice (0 before) and a
// one-replica deploy took 1.3x docker run (1.2x before); not yet told apart.
const DAEMON_V8_FLAGS = ['--optimize-for-size', '--max-opt=1']
if ((process.argv[2] === 'start' || process.argv[2] === 'join') && typeof process.execve === 'function' &&
    !DAEMON_V8_FLAGS.every((flag) => process.execArgv.includes(flag))) {
  process.execve(process.execPath, [process.execPath, ...DAEMON_V8_FLAGS, ...process.execArgv, ...process.argv.slice(1)])
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
// the build): a start then skips parsing 2.4 MB of JavaScript, whose ~9 MB of compiler
// memory glibc would otherwise keep (a third of the daemon's heap), and starts sooner.
if (fresh) enableCompileCache(join(root, 'dist', 'compile-cache'))

// For stack traces with source positions, run with NODE_OPTIONS=--enable-source-maps
// (it costs ~50 MB, so it is not the default).
const { main } = await import(fresh ? bundle : '../src/node/cli/main.ts')
if (fresh) flushCompileCache()
main(process.argv).catch((err) => {
  process.stderr.write(`meshd: ${err?.message ?? err}\n`)
  process.exitCode = 1
})
