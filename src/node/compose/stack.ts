// A Compose file → the body of `PUT /v1/stacks/NAME` and the notes: YAML with positions,
// interpolation, the Compose Specification's schema, each service mapped, and each
// spec checked by meshd's own parser, every problem placed at file:line:column.

import { parseServiceSpec } from '../spec/index.ts'
import { formatComposePath, mapOf, note, problem } from './context.ts'
import type { Context } from './context.ts'
import { ComposeError } from './errors.ts'
import { declaredFiles } from './files.ts'
import { interpolateDocument } from './interpolate-document.ts'
import { noteVolumeDefinitions } from './mounts.ts'
import { MESHD_ONLY_KEYS, TOP_LEVEL_REASONS } from './reasons.ts'
import { serviceSpec } from './service.ts'
import type { MappedService } from './service.ts'
import { readSource } from './source.ts'
import type { ComposeInput, ComposeStack } from './types.ts'
import { structureProblems } from './validate.ts'

const TOP_LEVEL = ['name', 'services', 'volumes', 'secrets', 'configs']
const DNS_LABEL = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/

/** Whether a parsed document is a Compose file: a map with a `services:` map (not a list of meshd specs). */
export function isComposeDocument (document: unknown): boolean {
  const root = mapOf(document)
  return root !== undefined && mapOf(root.services) !== undefined
}

/** A stack name from a project or directory name, cleaned like `docker compose -p` and made a DNS label ("My_App" → "my-app"). */
export function stackNameOf (text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/_/g, '-').replace(/^[^a-z]+/, '').replace(/-+$/, '')
}

/** The stack of a Compose file; throws ComposeError with every problem (and, with `strict`, every note). */
export function composeStack (input: ComposeInput): ComposeStack {
  const source = readSource(input.file, input.text)
  const ctx: Context = { source, stack: '', vars: {}, readFile: input.readFile, notes: [], problems: [] }
  const { document, vars } = interpolateDocument(ctx, input)
  ctx.vars = vars
  failOnProblems(ctx)
  const root = mapOf(document)
  moveMeshdKeys(ctx, mapOf(root?.services) ?? {})
  // The schema first: a misspelt "services:" is an unknown key at its line.
  ctx.problems.push(...structureProblems(source, document))
  failOnProblems(ctx)
  if (root === undefined || mapOf(root.services) === undefined) throw new ComposeError([{ file: input.file, line: 1, column: 1, path: '', why: 'expected a map with services:' }])
  ctx.stack = stackName(ctx, input, root)
  failOnProblems(ctx)
  const services = mapOf(root.services)!
  const volumes = mapOf(root.volumes) ?? {}
  noteVolumeDefinitions(ctx, volumes)
  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL.includes(key) && !key.startsWith('x-')) note(ctx, [key], TOP_LEVEL_REASONS[key] ?? 'not used by meshd')
  }
  const scope = {
    services: new Set(Object.keys(services)),
    volumes: new Set(Object.keys(volumes)),
    secrets: declaredFiles(ctx, 'secrets', mapOf(root.secrets) ?? {}),
    configs: declaredFiles(ctx, 'configs', mapOf(root.configs) ?? {})
  }
  const mapped = Object.entries(services).map(([key, service]) => {
    if (!DNS_LABEL.test(key)) problem(ctx, ['services', key], `meshd names this service ${ctx.stack}-${key}, which must be a DNS label: rename it with lowercase letters, digits and "-"`)
    return serviceSpec(ctx, key, mapOf(service) ?? {}, scope)
  })
  noteSharedVolumes(ctx, mapped)
  failOnProblems(ctx)
  for (const service of mapped) checkSpec(ctx, service)
  failOnProblems(ctx)
  const notes = ctx.notes.sort((a, b) => a.line - b.line || a.column - b.column)
  if (input.strict === true && notes.length > 0) throw new ComposeError(notes.map((n) => ({ ...n, why: `${n.why} (--strict)` })))
  const origins = mapped.map((m) => Object.fromEntries([...m.origins].map(([field, path]) => [field, { path: formatComposePath(path), ...source.at(path) }])))
  return { name: ctx.stack, file: input.file, services: mapped.map((m) => m.spec), secrets: scope.secrets.files, configs: scope.configs.files, notes, origins }
}

function failOnProblems (ctx: Context): void {
  if (ctx.problems.length > 0) throw new ComposeError([...ctx.problems].sort((a, b) => a.line - b.line || a.column - b.column))
}

// The services map of the old `deploy -f` held meshd specs: their meshd-only keys are
// noted (with the Compose key to write) and taken out before the schema sees them.
function moveMeshdKeys (ctx: Context, services: Record<string, unknown>): void {
  for (const [key, service] of Object.entries(services)) {
    const map = mapOf(service)
    if (map === undefined) continue
    for (const field of Object.keys(map)) {
      const restartObject = field === 'restart' && mapOf(map.restart) !== undefined
      if (!Object.hasOwn(MESHD_ONLY_KEYS, field) && !restartObject) continue
      note(ctx, ['services', key, field], `a meshd spec field, not a Compose key: ${restartObject ? 'write deploy.restart_policy, or restart: as a string' : MESHD_ONLY_KEYS[field]}`)
      delete map[field]
    }
  }
}

function stackName (ctx: Context, input: ComposeInput, root: Record<string, unknown>): string {
  if (input.name !== undefined) {
    if (!DNS_LABEL.test(input.name)) problem(ctx, [], `stack name ${JSON.stringify(input.name)}: expected a DNS label (lowercase letters, digits and "-", starting with a letter)`)
    return input.name
  }
  const given = typeof root.name === 'string' ? root.name : input.directoryName
  const name = stackNameOf(given)
  if (name === '') problem(ctx, typeof root.name === 'string' ? ['name'] : [], `no stack name can be made of ${JSON.stringify(given)}: give one (meshd stack deploy -c FILE NAME)`)
  return name
}

function noteSharedVolumes (ctx: Context, mapped: readonly MappedService[]): void {
  const first = new Map<string, string>()
  for (const { used } of mapped) {
    for (const { key, path } of used) {
      const owner = first.get(key)
      const service = String(path[1])
      if (owner === undefined) first.set(key, service)
      else if (owner !== service) note(ctx, path, `volume ${key} is also mounted by ${owner}: meshd gives each service (and each slot) a volume of its own, so they do not share its data`)
    }
  }
}

// meshd's own parser, so `stack config` refuses what the API would; its error is placed at the Compose key the field came from.
function checkSpec (ctx: Context, service: MappedService): void {
  try {
    parseServiceSpec(service.spec)
  } catch (err) {
    const field = /^([A-Za-z]+)/.exec((err as { path?: string }).path ?? '')?.[1] ?? 'name'
    const at = service.origins.get(field) ?? service.origins.get('name')!
    problem(ctx, at, `meshd spec ${(err as Error).message}`)
  }
}
