// A Compose file translated in memory: its text, variables and the files it names.

import { composeStack, ComposeError } from '../../../src/node/compose/index.ts'
import type { ComposeInput, ComposeNote, ComposeStack } from '../../../src/node/compose/index.ts'

export interface Options extends Partial<Omit<ComposeInput, 'text' | 'readFile'>> {
  files?: Record<string, string>
}

/** The stack of `text` (file "compose.yaml", stack "shop" unless given). */
export function compose (text: string, opts: Options = {}): ComposeStack {
  const { files = {}, ...rest } = opts
  return composeStack({
    file: 'compose.yaml',
    name: 'shop',
    directoryName: 'app',
    env: {},
    readFile: (path) => {
      if (!Object.hasOwn(files, path)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' })
      return Buffer.from(files[path]!, 'utf8')
    },
    ...rest,
    text
  })
}

/** The problems of a file that must be refused. */
export function problems (text: string, opts: Options = {}): ComposeNote[] {
  try {
    compose(text, opts)
  } catch (err) {
    if (err instanceof ComposeError) return [...err.problems]
    throw err
  }
  throw new Error('expected a ComposeError')
}

/** The service spec named STACK-KEY. */
export function service (stack: ComposeStack, key: string): Record<string, unknown> {
  const found = stack.services.find((spec) => spec.name === `${stack.name}-${key}`)
  if (found === undefined) throw new Error(`no service ${key}`)
  return found
}

/** "line:column path" of each note, for compact assertions. */
export function where (notes: readonly ComposeNote[]): string[] {
  return notes.map((n) => `${n.line}:${n.column} ${n.path}`)
}
