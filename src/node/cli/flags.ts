// Docker-style flags turned into spec fields. Values are passed through as typed as
// the user wrote them; the API's validator names anything wrong.

/** Collects a repeatable option's values. */
export function collect (value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** "K=V" entries → object; throws naming the flag when one has no '='. */
export function keyValues (flag: string, entries: string[] = []): Record<string, string> {
  const result: Record<string, string> = {}
  for (const entry of entries) {
    const at = entry.indexOf('=')
    if (at <= 0) throw new Error(`${flag}: expected KEY=VALUE, got "${entry}"`)
    result[entry.slice(0, at)] = entry.slice(at + 1)
  }
  return result
}

/** "published:target" (or a single port for both) → port spec. */
export function publish (entry: string): { published: number | string, target: number | string } {
  const [published = '', target = published] = entry.split(':')
  return { published: numeric(published), target: numeric(target) }
}

/** A number when the text is one, else the text itself (so the API can say what is wrong). */
export function numeric (text: string): number | string {
  return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text
}

export interface HealthFlags {
  healthType?: string
  healthPort?: string
  healthPath?: string
  healthCmd?: string
  healthInterval?: string
  healthTimeout?: string
  healthRetries?: string
  healthStartPeriod?: string
}

/** The health object from --health-* flags, or undefined when none is given. */
export function healthFromFlags (flags: HealthFlags): Record<string, unknown> | undefined {
  const health: Record<string, unknown> = {}
  if (flags.healthType !== undefined) health.type = flags.healthType
  if (flags.healthPort !== undefined) health.port = numeric(flags.healthPort)
  if (flags.healthPath !== undefined) health.path = flags.healthPath
  if (flags.healthCmd !== undefined) health.cmd = ['sh', '-c', flags.healthCmd]
  if (flags.healthInterval !== undefined) health.interval = flags.healthInterval
  if (flags.healthTimeout !== undefined) health.timeout = flags.healthTimeout
  if (flags.healthRetries !== undefined) health.retries = numeric(flags.healthRetries)
  if (flags.healthStartPeriod !== undefined) health.startPeriod = flags.healthStartPeriod
  if (Object.keys(health).length === 0) return undefined
  health.type ??= flags.healthCmd !== undefined ? 'cmd' : 'tcp'
  return health
}
