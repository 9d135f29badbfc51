#!/usr/bin/env node
// The meshd command. Runs the bundle (dist/meshd.mjs, built by `npm run build`) when it
// is newer than every source file; otherwise the TypeScript sources directly (Node 24
// strips types), so a stale bundle can never hide a change.

import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

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

// For stack traces with source positions, run with NODE_OPTIONS=--enable-source-maps
// (it costs ~50 MB, so it is not the default).
const { main } = await import(bundleIsFresh() ? bundle : '../src/node/cli/main.ts')
main(process.argv).catch((err) => {
  process.stderr.write(`meshd: ${err?.message ?? err}\n`)
  process.exitCode = 1
})
