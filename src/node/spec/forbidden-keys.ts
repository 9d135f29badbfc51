// `JSON.parse('{"__proto__":{}}')` makes an own key that an ordinary assignment
// (`out[key] = value`, as zod's record parser does) turns into a prototype swap.
// So these keys are looked for in the raw input before anything copies it.

import { FORBIDDEN_KEYS } from './constants.ts'
import type { PathSegment } from './path.ts'

interface Visit {
  value: unknown
  /** Index in the queue of the container holding `value`; -1 for the input itself. */
  parent: number
  segment: PathSegment
}

/** The path of the shallowest forbidden key (`__proto__`, `constructor`, `prototype`) anywhere in `input`, if any. */
export function findForbiddenKey (input: unknown): PathSegment[] | undefined {
  // Breadth first and iterative: the answer is the shallowest, hence deterministic, and
  // deep nesting can neither overflow the stack nor (with parent links instead of
  // copied paths) cost memory quadratic in the depth.
  const queue: Visit[] = [{ value: input, parent: -1, segment: '' }]
  const seen = new WeakSet<object>()
  for (let index = 0; index < queue.length; index++) {
    const { value } = queue[index] as Visit
    if (typeof value !== 'object' || value === null || seen.has(value)) continue
    seen.add(value)
    if (Array.isArray(value)) {
      value.forEach((item, position) => queue.push({ value: item, parent: index, segment: position }))
      continue
    }
    const keys = Object.keys(value)
    const forbidden = keys.find((key) => FORBIDDEN_KEYS.has(key))
    if (forbidden !== undefined) return [...pathTo(queue, index), forbidden]
    for (const key of keys) queue.push({ value: (value as Record<string, unknown>)[key], parent: index, segment: key })
  }
  return undefined
}

function pathTo (queue: readonly Visit[], index: number): PathSegment[] {
  const path: PathSegment[] = []
  for (let at = index; at > 0; at = (queue[at] as Visit).parent) path.push((queue[at] as Visit).segment)
  return path.reverse()
}
