// Error paths are written the way a JavaScript or jq user would reach the field:
// `ports[1].published`, `env.FOO`, and brackets for keys that are not identifiers
// (`labels["meshd.x"]`), so a label key with a dot cannot be read as nesting.

export type PathSegment = string | number

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/** `['ports', 1, 'published']` → `ports[1].published`; the empty path (the whole body) → ''. */
export function formatPath (segments: readonly PathSegment[]): string {
  let path = ''
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`
    else if (IDENTIFIER.test(segment)) path += path === '' ? segment : `.${segment}`
    else path += `[${JSON.stringify(segment)}]`
  }
  return path
}
