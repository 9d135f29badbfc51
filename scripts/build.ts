// Bundles the meshd command into dist/meshd.mjs and the chunks it imports (dist/chunks/):
// a few files load faster and use far less memory than hundreds of modules with type
// stripping (see BENCHMARKS.md). What only some runs need — the ACME client and its
// x509/asn1 stack, the Compose parser (ajv, the Compose schema), YAML, mDNS, prom-client —
// sits in chunks that a dynamic import() loads on first use: Node keeps the source text of
// every module it loaded resident, so an idle daemon keeps ~2.4 MB of it instead of 3.8 MB.

import { build } from 'esbuild'
import type { Plugin } from 'esbuild'
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const stub = `${root}scripts/stubs/unused-transport.cjs`
const outdir = `${root}dist`
const noWasm = `${root}scripts/stubs/no-wasm.cjs`
const noSchemas = `${root}scripts/stubs/schema-compilers.cjs`

// An ESM `import` of a Node builtin builds a namespace of all its exports, which runs
// their lazy getters: `node:http` then loads undici (for http.WebSocket), ~2 MB of RSS
// the daemon never uses. require() reads only what is used. A require() is CommonJS,
// though, and esbuild copies a CommonJS module into every importer's namespace as one
// getter per export: 246 imports of builtins made ~8,000 getters (node:crypto's ~90
// exports thirty times over), ~3 MB of the daemon's heap. So `import` gets an ES module
// per builtin, shared by its importers, that exports the builtin's data properties (its
// getters are left out, as importing one by name fails the build, but for those read
// as the daemon starts anyway), and require() the CommonJS one.
const BUILTIN = new RegExp(`^(node:)?(${builtinModules.map((name) => name.replace(/[/]/g, '\\/')).join('|')})$`)
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/
const EAGER_GETTERS = new Set(['crypto.webcrypto'])
function builtinAsEsm (name: string): string {
  const exported = Object.entries(Object.getOwnPropertyDescriptors(process.getBuiltinModule(name)))
    .filter(([key, descriptor]) => ('value' in descriptor || EAGER_GETTERS.has(`${name.replace(/^node:/, '')}.${key}`)) && IDENTIFIER.test(key) && key !== 'default')
    .map(([key]) => `export const ${key} = m.${key};`)
  return [`const m = require(${JSON.stringify(name)});`, 'export default m;', ...exported].join('\n')
}
const builtinsByRequire: Plugin = {
  name: 'builtins-by-require',
  setup (build) {
    build.onResolve({ filter: BUILTIN }, (args) => {
      if (args.namespace === 'builtin' || args.namespace === 'builtin-esm') return { path: args.path, external: true }
      const esm = args.kind === 'import-statement' || args.kind === 'dynamic-import'
      return { path: args.path, namespace: esm ? 'builtin-esm' : 'builtin' }
    })
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)})`, loader: 'js' }))
    build.onLoad({ filter: /.*/, namespace: 'builtin-esm' }, (args) => ({ contents: builtinAsEsm(args.path), loader: 'js' }))
  }
}

// xsalsa20 (pnet) picks its WebAssembly core with a relative require; the stub makes
// it take its JavaScript one (scripts/stubs/no-wasm.cjs says why).
const xsalsa20WithoutWasm: Plugin = {
  name: 'xsalsa20-without-wasm',
  setup (build) {
    build.onResolve({ filter: /^\.\/xsalsa20$/ }, (args) => /[/\\]xsalsa20[/\\]index\.js$/.test(args.importer) ? { path: noWasm } : undefined)
  }
}

// String.prototype.localeCompare loads ICU's collator: ~2.5 MB more RSS for good. The
// peer store and peer records of libp2p sort protocols and addresses with it only to
// get one order (kept on this node); code-unit order does that without ICU. The count
// check makes an upgrade that changes these lines fail the build instead of keeping ICU.
const LOCALE_COMPARE = /([\w.]+(?:\(\))?)\.localeCompare\(([^;]+?)\);/g
const libp2pWithoutCollator: Plugin = {
  name: 'libp2p-without-collator',
  setup (build) {
    build.onLoad({ filter: /[/\\]@libp2p[/\\]peer-(store|record)[/\\]dist[/\\].*\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8')
      const calls = source.split('.localeCompare(').length - 1
      if (calls === 0) return undefined
      const contents = source.replace(LOCALE_COMPARE, (_, a: string, b: string) => `__meshdByCodeUnit(${a}, ${b});`)
      if (contents.includes('.localeCompare(')) throw new Error(`${args.path}: a localeCompare call the build does not know how to replace`)
      return { contents: `const __meshdByCodeUnit = (a, b) => a < b ? -1 : a > b ? 1 : 0;\n${contents}`, loader: 'js' }
    })
  }
}

// fastify requires node:http2 as it loads, for the `http2` option meshd never gives: its
// module and binding cost ~2 MB of RSS (nghttp2's tables). The two calls that use it
// load it when called instead; the count check fails the build if fastify changes them.
const HTTP2_REQUIRE = "const http2 = require('node:http2')"
const fastifyWithoutHttp2: Plugin = {
  name: 'fastify-without-http2',
  setup (build) {
    build.onLoad({ filter: /[/\\]fastify[/\\]lib[/\\]server\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8')
      const uses = source.match(/\bhttp2\.create(Secure)?Server\(/g)?.length ?? 0
      if (!source.includes(HTTP2_REQUIRE) || uses !== 2) throw new Error(`${args.path}: not the http2 use the build knows how to make lazy`)
      const lazy = "const http2 = { createSecureServer: (...args) => require('node:http2').createSecureServer(...args), createServer: (...args) => require('node:http2').createServer(...args) }"
      return { contents: source.replace(HTTP2_REQUIRE, lazy), loader: 'js' }
    })
  }
}

// The pulse worker runs from its own source text (gossip/pulses.ts). Built apart, without
// keepNames: inside the bundle, keepNames wraps its inner functions in a helper of the
// bundle's scope, which the worker's thread does not have.
const pulseWorker = await build({
  stdin: { contents: "import { pulseWorker } from './pulse-worker.ts'\npulseWorker()\n", resolveDir: `${root}src/gossip`, loader: 'ts' },
  bundle: true,
  write: false,
  platform: 'node',
  format: 'iife',
  target: 'node24',
  minify: true,
  logLevel: 'warning'
})
const pulseWorkerSource = pulseWorker.outputFiles[0]?.text ?? ''
if (pulseWorkerSource === '') throw new Error('the pulse worker built to nothing')

// The dashboard's files (src/node/ui/assets/) travel in the bundle as strings, served as
// they are; characters beyond ASCII are escaped (see the check at the end).
const uiDir = `${root}src/node/ui/assets/`
const uiFiles = Object.fromEntries(readdirSync(uiDir).sort().map((name) => [name, readFileSync(`${uiDir}${name}`, 'utf8')]))
const asciiJson = (value: unknown): string => JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

rmSync(`${outdir}/chunks`, { recursive: true, force: true })
const built = await build({
  entryPoints: { meshd: `${root}src/node/cli/main.ts` },
  define: { MESHD_PULSE_WORKER_SOURCE: JSON.stringify(pulseWorkerSource), MESHD_UI_FILES: asciiJson(uiFiles) },
  outdir,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  metafile: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  sourcemap: 'linked',
  // Node keeps the bundle's source text in memory: smaller text, smaller RSS (short
  // identifiers: 3.0 -> 2.3 MB). keepNames keeps every function's and class's `name`,
  // which libraries read (error names, constructor names in logs).
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: true,
  keepNames: true,
  // Licence comments go to dist/meshd.mjs.LEGAL.txt (and a chunk's beside it) instead of the source text.
  legalComments: 'linked',
  logLevel: 'warning',
  // undici is imported only by a CLI client with its own CA: left out, loaded from node_modules then.
  external: ['undici'],
  plugins: [builtinsByRequire, xsalsa20WithoutWasm, libp2pWithoutCollator, fastifyWithoutHttp2],
  alias: {
    ssh2: stub, 'cpu-features': stub, '@grpc/grpc-js': stub, '@grpc/proto-loader': stub, protobufjs: stub,
    '@chainsafe/as-chacha20poly1305': noWasm, '@chainsafe/as-sha256': noWasm,
    '@fastify/ajv-compiler': noSchemas, '@fastify/fast-json-stringify-compiler': noSchemas
  },
  // Bundled CommonJS dependencies call require(); give each ESM file of the bundle one.
  banner: { js: "import { createRequire as __meshdRequire } from 'node:module'; const require = __meshdRequire(import.meta.url);" }
})

// One character beyond ASCII makes V8 keep the whole source as UTF-16: twice the bytes.
for (const file of Object.keys(built.metafile.outputs).filter((name) => name.endsWith('.mjs'))) {
  const nonAscii = /[^\x00-\x7f]/.exec(readFileSync(resolve(file), 'latin1'))
  if (nonAscii !== null) throw new Error(`${file}: non-ASCII byte at ${nonAscii.index}; escape it in the source`)
}

// bin/meshd.js keeps V8's code cache of the bundle here; a new bundle starts a new one,
// written now for the CLI and for the daemon (whose V8 flags make it a cache of its own),
// so that even the first start after a build skips parsing (~8 MB less RSS).
rmSync(`${root}dist/compile-cache`, { recursive: true, force: true })
for (const args of [['--version'], ['start', '--help']]) execFileSync(process.execPath, [`${root}bin/meshd.js`, ...args], { stdio: 'ignore' })
