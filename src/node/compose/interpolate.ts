// Compose's variable substitution (the Compose Specification, "Interpolation"): $VAR,
// ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message},
// ${VAR:+other}, ${VAR+other}, nested defaults, and $$ for a literal "$". Pure: the
// caller gives the variables (the process environment over the .env file).

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/

/** A substitution that cannot be made: a required variable unset, or a malformed "$". */
export class InterpolationError extends Error {
  override readonly name = 'InterpolationError'
}

export interface Interpolation {
  value: string
  /** Variables used without a default while unset (each becomes ""). */
  unset: string[]
}

/** `text` with every variable substituted from `vars`; throws InterpolationError. */
export function interpolate (text: string, vars: Readonly<Record<string, string>>): Interpolation {
  const unset: string[] = []
  return { value: substitute(text, vars, unset), unset }
}

function substitute (text: string, vars: Readonly<Record<string, string>>, unset: string[]): string {
  let out = ''
  let at = 0
  while (at < text.length) {
    const dollar = text.indexOf('$', at)
    if (dollar === -1) return out + text.slice(at)
    out += text.slice(at, dollar)
    const next = text[dollar + 1]
    if (next === '$') { out += '$'; at = dollar + 2; continue }
    if (next === '{') {
      const close = matchingBrace(text, dollar + 2)
      if (close === -1) throw new InterpolationError(`unclosed "\${" in ${JSON.stringify(text)}`)
      out += braced(text.slice(dollar + 2, close), vars, unset)
      at = close + 1
      continue
    }
    const name = NAME.exec(text.slice(dollar + 1))?.[0]
    if (name === undefined) throw new InterpolationError(`a "$" not followed by a variable name in ${JSON.stringify(text)}: write "$$" for a literal "$"`)
    out += lookup(name, vars, unset)
    at = dollar + 1 + name.length
  }
  return out
}

/** The index of the "}" closing a "${" whose body starts at `from`, counting nested "${…}". */
function matchingBrace (text: string, from: number): number {
  let depth = 1
  for (let i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '{') { depth++; i++ } else if (text[i] === '}' && --depth === 0) return i
  }
  return -1
}

function braced (body: string, vars: Readonly<Record<string, string>>, unset: string[]): string {
  const name = NAME.exec(body)?.[0]
  if (name === undefined) throw new InterpolationError(`"\${${body}}" does not start with a variable name`)
  const rest = body.slice(name.length)
  if (rest === '') return lookup(name, vars, unset)
  const operator = /^(:?[-?+])/.exec(rest)?.[1]
  if (operator === undefined) throw new InterpolationError(`"\${${body}}": expected "}", ":-", "-", ":?", "?", ":+" or "+" after ${name}`)
  const word = rest.slice(operator.length)
  const value = Object.hasOwn(vars, name) ? vars[name] : undefined
  // With ":" an empty value counts as unset, as in the shell.
  const isSet = operator.startsWith(':') ? value !== undefined && value !== '' : value !== undefined
  switch (operator.at(-1)) {
    case '-': return isSet ? value! : substitute(word, vars, unset)
    case '+': return isSet ? substitute(word, vars, unset) : ''
    default: {
      if (isSet) return value!
      const message = substitute(word, vars, unset)
      throw new InterpolationError(`required variable ${name} is ${value === undefined ? 'not set' : 'empty'}${message === '' ? '' : `: ${message}`}`)
    }
  }
}

function lookup (name: string, vars: Readonly<Record<string, string>>, unset: string[]): string {
  if (Object.hasOwn(vars, name)) return vars[name]!
  if (!unset.includes(name)) unset.push(name)
  return ''
}

/**
 * The variables of a .env or env_file text (KEY=VALUE lines, "export " allowed, "#"
 * comments, single quotes literal, double quotes with \n \t \" \\ escapes); values
 * other than single-quoted ones are interpolated with `outer` and the lines above.
 * Throws InterpolationError naming the line.
 */
export function parseEnvFile (text: string, outer: Readonly<Record<string, string>> = {}): Record<string, string> {
  const vars: Record<string, string> = {}
  const lines = text.split(/\r?\n/)
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)(?:\s*=(.*))?$/s.exec(line)
    if (match === null) throw new InterpolationError(`line ${index + 1}: expected KEY=VALUE`)
    const [, key, rest] = match as unknown as [string, string, string | undefined]
    // A bare KEY takes the outer value, as in Compose; unset, it is left out.
    if (rest === undefined) { if (Object.hasOwn(outer, key)) vars[key] = outer[key]!; continue }
    try {
      vars[key] = envValue(rest.trim(), { ...outer, ...vars })
    } catch (err) {
      throw new InterpolationError(`line ${index + 1}: ${(err as Error).message}`)
    }
  }
  return vars
}

function envValue (text: string, vars: Readonly<Record<string, string>>): string {
  if (text.startsWith("'")) {
    const end = text.indexOf("'", 1)
    if (end === -1) throw new InterpolationError('unclosed single quote')
    return text.slice(1, end)
  }
  if (text.startsWith('"')) {
    let value = ''
    for (let i = 1; i < text.length; i++) {
      const c = text[i]!
      if (c === '"') return substitute(value, vars, [])
      if (c === '\\' && i + 1 < text.length) {
        const e = text[++i]!
        value += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e
      } else value += c
    }
    throw new InterpolationError('unclosed double quote')
  }
  // An unquoted value ends at " #" (a comment).
  const comment = text.search(/\s#/)
  return substitute((comment === -1 ? text : text.slice(0, comment)).trim(), vars, [])
}
