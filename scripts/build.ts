// Bundles the meshd command into dist/meshd.mjs: one file loads faster and uses far
// less memory than hundreds of modules with type stripping (see BENCHMARKS.md).

import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const stub = `${root}scripts/stubs/unused-transport.cjs`

await build({
  entryPoints: [`${root}src/node/cli/main.ts`],
  outfile: `${root}dist/meshd.mjs`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  sourcemap: 'linked',
  // Node keeps the bundle's source text in memory: smaller text, smaller RSS.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  // undici is imported only by a CLI client with its own CA: left out, loaded from node_modules then.
  external: ['undici'],
  alias: { ssh2: stub, 'cpu-features': stub, '@grpc/grpc-js': stub, '@grpc/proto-loader': stub },
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __meshdRequire } from 'node:module'; const require = __meshdRequire(import.meta.url);" }
})
