#!/usr/bin/env node
// The meshd command. Node 24 runs the TypeScript sources directly (type stripping).
import { main } from '../src/node/cli/main.ts'

main(process.argv).catch((err) => {
  process.stderr.write(`meshd: ${err?.message ?? err}\n`)
  process.exitCode = 1
})
