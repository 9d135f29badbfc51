// A reader of the Prometheus text format for the tests: families with their type and
// help, and samples with their labels, so a test asserts on values, not on lines.

export interface Sample { name: string, labels: Record<string, string>, value: number }
export interface Family { name: string, type: string, help: string, samples: Sample[] }

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** The families of a text exposition, by name; throws on a line it cannot read. */
export function parseMetrics (text: string): Map<string, Family> {
  const families = new Map<string, Family>()
  let current: Family | undefined
  for (const line of text.split('\n')) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line)
    if (meta !== null) {
      const [, kind, name = '', rest = ''] = meta
      current = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] }
      families.set(name, current)
      if (kind === 'TYPE') current.type = rest
      else current.help = rest
      continue
    }
    const match = SAMPLE.exec(line)
    if (match === null || current === undefined) throw new Error(`unreadable line: ${line}`)
    const [, name = '', labelText = '', value = ''] = match
    if (name !== current.name && !name.startsWith(`${current.name}_`)) throw new Error(`sample ${name} outside its family ${current.name}`)
    const labels = Object.fromEntries([...labelText.matchAll(LABEL)].map(([, k = '', v = '']) => [k, v]))
    current.samples.push({ name, labels, value: value === '+Inf' ? Infinity : Number(value) })
  }
  return families
}

/** The value of the one sample of `name` with these labels (among others); undefined when none. */
export function valueOf (families: Map<string, Family>, family: string, labels: Record<string, string> = {}, name = family): number | undefined {
  return families.get(family)?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
}
