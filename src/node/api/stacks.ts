// Stacks as the API writes them. A stack is the services whose spec names it, and the
// secrets and configs it created from files. A write is planned whole against the
// document first — every check, every version and generation it will write — and only
// a plan is applied, in one transaction: a stack is never half-written.

import type { ClusterDocument, SecretRecord, ServiceRecord, ServiceSpec } from '../../crdt/index.ts'
import { byText } from '../../placement/index.ts'
import { dependencyCycle } from '../cluster/index.ts'
import { MeshdError } from '../errors.ts'
import { parseSource } from '../spec/index.ts'
import { openContent } from '../stored/index.ts'
import type { StackFile, StackRequest } from './stack-body.ts'
import { within } from './stack-body.ts'
import { assertIngressFree, assertOwnIngressDistinct } from './ingress-claims.ts'
import { assertPortsFree, writeOutcome, writeService } from './services.ts'
import { dropUnusedVersions, followsLatest, putVersion, refsOf, resolveRefsIn, rollFollowers, storeOf, versionsByName } from './stored.ts'
import type { StoredKind, StoredRecord } from './stored.ts'

export type StackAction = 'created' | 'updated' | 'unchanged'

export interface ServiceStep { name: string, action: StackAction, generation: number, spec: ServiceSpec, imageId?: string, unpinned?: string }
export interface FileStep extends StackFile { action: StackAction, version: number }

/** What a stack write will do; applyStack does exactly this. */
export interface StackPlan {
  stack: string
  files: FileStep[]
  services: ServiceStep[]
  /** The stack's services left out of the body, deleted (prune only). */
  removed: string[]
  /** Services outside the body that follow the latest version of a file the write updates: they roll too. */
  rolled: string[]
}

/** What the node that takes the write knows: the secrets key (for secrets), the low-ports rule, the image ids it resolved. */
export interface PlanOptions {
  secretsKey?: Buffer
  allowLowPorts: boolean
  images?: ReadonlyMap<string, { imageId?: string, unpinned?: string }>
}

/** The plan of a stack write; MeshdError naming the field when anything in it would be refused. Writes nothing. */
export function planStack (document: ClusterDocument, request: StackRequest, opts: PlanOptions): StackPlan {
  const { stack } = request
  const counts = { secret: 0, config: 0 }
  const files = request.files.map((file) => planFile(document, stack, file, `${file.kind}s[${counts[file.kind]++}]`, opts.secretsKey))
  const versionsOf = plannedVersions(document, files)
  const services = request.services.map((parsed, i) => planService(document, stack, parsed, `services[${i}]`, versionsOf, opts))
  const named = new Set(services.map((s) => s.name))
  const removed = request.prune ? stackServices(document.services(), stack).map((r) => r.spec.name).filter((name) => !named.has(name)) : []
  assertOwnPortsDistinct(services)
  assertOwnIngressDistinct(services)
  assertDependenciesKnown(document, services, new Set(removed))
  const skip = new Set([...named, ...removed])
  const rolled = new Set<string>()
  for (const file of files) {
    if (file.action !== 'updated') continue
    for (const record of Object.values(document.services())) if (!skip.has(record.spec.name) && followsLatest(record.spec, file.kind, file.name)) rolled.add(record.spec.name)
  }
  return { stack, files, services, removed, rolled: [...rolled].sort(byText) }
}

/** Writes a plan in one transaction: the files, the services that change, the removals, the services that follow an updated file. */
export function applyStack (document: ClusterDocument, plan: StackPlan, opts: PlanOptions, now = Date.now()): void {
  const skip = new Set([...plan.services.map((s) => s.name), ...plan.removed])
  const updated = plan.files.filter((f) => f.action !== 'unchanged')
  document.transact(() => {
    for (const file of updated) putVersion(document, file.kind, file.name, file.content, { secretsKey: opts.secretsKey ?? Buffer.alloc(0), now, stack: plan.stack })
    for (const step of plan.services) {
      if (step.action === 'unchanged') continue
      writeService(document, step.spec, now, { allowLowPorts: opts.allowLowPorts, ...(step.imageId === undefined ? {} : { imageId: step.imageId }) })
    }
    for (const name of plan.removed) {
      document.deleteService(name)
      document.deleteRollout(name)
      document.deleteAutoscale(name)
    }
    for (const file of updated) {
      rollFollowers(document, file.kind, file.name, file.version, { allowLowPorts: opts.allowLowPorts, now }, skip)
      dropUnusedVersions(document, file.kind, file.name)
    }
  })
}

/** What `DELETE /v1/stacks/NAME` removes, and the files it keeps because a service outside the stack uses them. */
export interface StackRemoval {
  services: string[]
  secrets: string[]
  configs: string[]
  kept: Array<{ kind: StoredKind, name: string, usedBy: string[] }>
}

/** The removal of a stack; MESHD_STACK_NOT_FOUND when it has neither services nor files. Writes nothing. */
export function planRemoval (document: ClusterDocument, stack: string): StackRemoval {
  const services = stackServices(document.services(), stack).map((r) => r.spec.name)
  const removal: StackRemoval = { services, secrets: [], configs: [], kept: [] }
  const gone = new Set(services)
  for (const kind of ['secret', 'config'] as const) {
    for (const name of stackFiles(storeOf(document, kind).all(), stack)) {
      const usedBy = Object.values(document.services())
        .filter((r) => !gone.has(r.spec.name) && usesFile(r.spec, kind, name))
        .map((r) => r.spec.name)
      if (usedBy.length > 0) removal.kept.push({ kind, name, usedBy })
      else removal[`${kind}s`].push(name)
    }
  }
  if (services.length === 0 && removal.secrets.length === 0 && removal.configs.length === 0 && removal.kept.length === 0) {
    throw new MeshdError('MESHD_STACK_NOT_FOUND', `stack "${stack}" not found: no service and no secret or config belongs to it`, 'name')
  }
  return removal
}

/** Deletes a stack's services and the files the removal lists, in one transaction. */
export function removeStack (document: ClusterDocument, removal: StackRemoval): void {
  document.transact(() => {
    for (const name of removal.services) {
      document.deleteService(name)
      document.deleteRollout(name)
      document.deleteAutoscale(name)
    }
    for (const kind of ['secret', 'config'] as const) {
      const store = storeOf(document, kind)
      const versions = versionsByName(store.all())
      for (const name of removal[`${kind}s`]) for (const v of versions.get(name) ?? []) store.remove(`${name}@${v.version}`)
    }
  })
}

/** The stack's service records, by name. */
export function stackServices (services: Record<string, ServiceRecord>, stack: string): ServiceRecord[] {
  return Object.values(services).filter((r) => r.spec.stack === stack).sort((a, b) => byText(a.spec.name, b.spec.name))
}

/** The names of the secrets (or configs) the stack created: their latest version says so. */
export function stackFiles (records: Record<string, StoredRecord>, stack: string): string[] {
  return [...versionsByName(records).values()].filter((versions) => versions.at(-1)!.stack === stack).map((versions) => versions[0]!.name).sort(byText)
}

/** Every stack a service or a file names. */
export function stackNames (services: Record<string, ServiceRecord>, files: ReadonlyArray<Record<string, StoredRecord>>): string[] {
  const names = new Set<string>()
  for (const record of Object.values(services)) if (record.spec.stack !== undefined) names.add(record.spec.stack)
  for (const records of files) for (const versions of versionsByName(records).values()) if (versions.at(-1)!.stack !== undefined) names.add(versions.at(-1)!.stack!)
  return [...names].sort(byText)
}

function planFile (document: ClusterDocument, stack: string, file: StackFile, at: string, secretsKey: Buffer | undefined): FileStep {
  if (file.kind === 'secret' && secretsKey === undefined) throw new MeshdError('MESHD_INTERNAL', 'this node has no secrets key')
  const latest = versionsByName(storeOf(document, file.kind).all()).get(file.name)?.at(-1)
  if (latest === undefined) return { ...file, action: 'created', version: 1 }
  if (latest.stack !== undefined && latest.stack !== stack) {
    throw new MeshdError('MESHD_EXISTS', `${at}.name: the ${file.kind} "${file.name}" belongs to stack "${latest.stack}", expected a name no other stack created`, `${at}.name`)
  }
  const same = sameContent(file.kind, latest, file.content, secretsKey)
  return { ...file, action: same ? 'unchanged' : 'updated', version: same ? latest.version : latest.version + 1 }
}

function sameContent (kind: StoredKind, latest: StoredRecord, content: Buffer, secretsKey: Buffer | undefined): boolean {
  if (kind === 'config') return Buffer.from(latest.data, 'base64').equals(content)
  try {
    const current = openContent(secretsKey!, latest as SecretRecord)
    const same = current.equals(content)
    current.fill(0)
    return same
  } catch {
    // A version this node cannot open is replaced by one it can.
    return false
  }
}

/** The versions of each file once the plan is written (a new version appended where one is planned). */
function plannedVersions (document: ClusterDocument, files: readonly FileStep[]): (kind: StoredKind, name: string) => number[] | undefined {
  const byKind = { secret: versionsByName(storeOf(document, 'secret').all()), config: versionsByName(storeOf(document, 'config').all()) }
  return (kind, name) => {
    const existing = byKind[kind].get(name)?.map((v) => v.version)
    const step = files.find((f) => f.kind === kind && f.name === name)
    return step === undefined || step.action === 'unchanged' ? existing : [...(existing ?? []), step.version]
  }
}

function planService (document: ClusterDocument, stack: string, parsed: ServiceSpec, at: string, versionsOf: (kind: StoredKind, name: string) => number[] | undefined, opts: PlanOptions): ServiceStep {
  const existing = document.service(parsed.name)
  const owner = existing?.spec.stack
  if (owner !== undefined && owner !== stack) {
    throw new MeshdError('MESHD_INVALID_SPEC', `${at}.name: service "${parsed.name}" belongs to stack "${owner}", expected a name no other stack uses`, `${at}.name`)
  }
  const spec = within(at, () => resolveRefsIn(parsed, versionsOf))
  within(at, () => { assertPortsFree(document, spec, { allowLowPorts: opts.allowLowPorts }) })
  within(at, () => { assertIngressFree(document, spec) })
  const image = opts.images?.get(spec.name) ?? {}
  const outcome = writeOutcome(existing, spec, image.imageId)
  return {
    name: spec.name,
    action: outcome.action,
    generation: outcome.generation,
    spec,
    ...(image.imageId === undefined ? {} : { imageId: image.imageId }),
    ...(outcome.imageId === undefined && image.unpinned !== undefined ? { unpinned: image.unpinned } : {})
  }
}

/** Two services of one stack cannot publish the same port (each was checked against the others' current records only). */
function assertOwnPortsDistinct (services: readonly ServiceStep[]): void {
  const owners = new Map<number, string>()
  services.forEach((step, i) => step.spec.ports.forEach((port, j) => {
    if (port.published === undefined) return
    const owner = owners.get(port.published)
    const path = `services[${i}].ports[${j}].published`
    if (owner !== undefined) throw new MeshdError('MESHD_PORT_CONFLICT', `${path}: port ${port.published} is also published by "${owner}" in this stack`, path)
    owners.set(port.published, step.name)
  }))
}

/** A dependency names a service of the stack or one that exists and stays: a typo would keep a first deploy waiting forever. */
function assertDependenciesKnown (document: ClusterDocument, services: readonly ServiceStep[], removed: ReadonlySet<string>): void {
  const names = new Set(services.map((s) => s.name))
  services.forEach((step, i) => step.spec.dependsOn?.forEach((dependency, j) => {
    if (names.has(dependency.service) || (document.service(dependency.service) !== undefined && !removed.has(dependency.service))) return
    const path = `services[${i}].dependsOn[${j}].service`
    throw new MeshdError('MESHD_INVALID_SPEC', `${path}: no service "${dependency.service}" in the stack or the cluster, expected a service of the stack (${[...names].join(', ')}) or one that exists`, path)
  }))
  const cycle = dependencyCycle(services.map((step) => step.spec))
  if (cycle === undefined) return
  const path = `services[${services.findIndex((step) => step.name === cycle[0])}].dependsOn`
  throw new MeshdError('MESHD_INVALID_SPEC', `${path}: a cycle ${cycle.join(' → ')}; each would wait for the other for ever`, path)
}

function usesFile (spec: ServiceSpec, kind: StoredKind, name: string): boolean {
  return refsOf(spec, kind).some((ref) => parseSource(ref.source)?.name === name)
}
