// The shape of src/, checked on every run: no import cycle (madge, the same check as
// `npm run check:cycles`), imports that leave a folder go through its index.ts, no file
// over 300 lines, and the folders of pure decisions stay pure.

import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import madge from 'madge'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const src = join(root, 'src')

function filesUnder (dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : []
  })
}

/** Every relative import or export of a file, resolved to an absolute path. */
function importsOf (file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/^(?:import|export)\b[^'"]*?from\s+'(\.{1,2}\/[^']+)'/gm)].map((m) => resolve(dirname(file), m[1]!))
}

const files = filesUnder(src)
const name = (path: string): string => relative(root, path)

describe('the shape of src/', () => {
  it('has no import cycle', async () => {
    const graph = await madge(src, { fileExtensions: ['ts'], tsConfig: join(root, 'tsconfig.json') })
    expect(graph.circular()).toEqual([])
  })

  it('imports another folder only through its index.ts', () => {
    const deep: string[] = []
    for (const file of files) {
      for (const target of importsOf(file)) {
        const folder = dirname(target)
        // The file's own folder, or a file of a folder that encloses it (shared vocabulary).
        const enclosing = dirname(file) === folder || dirname(file).startsWith(`${folder}/`)
        if (!enclosing && !target.endsWith('/index.ts')) deep.push(`${name(file)} → ${name(target)}`)
      }
    }
    expect(deep).toEqual([])
  })

  it('has no file over 300 lines', () => {
    const long = files.map((file) => [name(file), readFileSync(file, 'utf8').split('\n').length - 1] as const).filter(([, lines]) => lines > 300)
    expect(long).toEqual([])
  })

  it('keeps the cluster\'s decisions and placement pure: no I/O, no clock, no timers, no randomness', () => {
    const impure = /from 'node:|Date\.now\(|performance\.now\(|setTimeout\(|setInterval\(|Math\.random\(/
    const offenders = files
      .filter((file) => file.startsWith(join(src, 'node', 'cluster')) || file.startsWith(join(src, 'placement')))
      .filter((file) => impure.test(readFileSync(file, 'utf8').replace(/^\s*(\/\/|\*).*$/gm, '')))
      .map(name)
    expect(offenders).toEqual([])
  })
})
