// A Compose file that cannot be deployed: every problem found, each at file:line:column.

import type { ComposeNote } from './types.ts'

/** One thing wrong with a Compose file; the same shape as a note. */
export type ComposeProblem = ComposeNote

/** Lines like `compose.yaml:12:5: services.db.ports[0]: …`. */
export function formatNote (note: ComposeNote): string {
  return `${note.file}:${note.line}:${note.column}: ${note.path === '' ? '' : `${note.path}: `}${note.why}`
}

export class ComposeError extends Error {
  override readonly name = 'ComposeError'
  readonly problems: readonly ComposeProblem[]

  constructor (problems: readonly ComposeProblem[]) {
    super(problems.length === 1 ? formatNote(problems[0]!) : `${problems.length} problems:\n${problems.map(formatNote).join('\n')}`)
    this.problems = problems
  }
}
