// Bundles the meshd command into dist/meshd.mjs: one file loads faster and uses far
// less memory than hundreds of modules with type stripping (see BENCHMARKS.md).

import { build } from 'esbuild'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const stub = `${root}scripts/stubs/unused-transport.cjs`
const outfile = `${root}dist/meshd.mjs`

await build({
  entryPoints: [`${root}src/node/cli/main.ts`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  sourcemap: 'linked',
  // Node keeps the bundle's source text in memory: smaller text, smaller RSS.
  minifyWhitespace: true,
  minifySyntax: true,
  // Licence comments go to dist/meshd.mjs.LEGAL.txt instead of the source text.
  legalComments: 'linked',
  logLevel: 'warning',
  alias: { ssh2: stub, 'cpu-features': stub, '@grpc/grpc-js': stub, '@grpc/proto-loader': stub },
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __meshdRequire } from 'node:module'; const require = __meshdRequire(import.meta.url);" }
})

// One character beyond ASCII makes V8 keep the whole source as UTF-16: twice the bytes.
const nonAscii = /[^\x00-\x7f]/.exec(readFileSync(outfile, 'latin1'))
if (nonAscii !== null) throw new Error(`dist/meshd.mjs: non-ASCII byte at ${nonAscii.index}; escape it in the source`)
