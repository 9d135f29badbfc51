// A service's place in a Compose stack: the stack's name, which prefixes the service's,
// and the services whose replicas must run before its first ones start.

import * as z from 'zod'
import type { ServiceDependency } from '../../crdt/index.ts'
import { MAX_DEPENDS_ON, MAX_NAME_LENGTH } from './constants.ts'
import type { SpecProblem } from './issues.ts'
import { strictObject } from './shapes.ts'

const DNS_LABEL = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/

const stackError = `a DNS label (lowercase letters, digits and "-", starting with a letter, not ending with "-", at most ${MAX_NAME_LENGTH - 2} characters)`
// Two characters fewer than a name: the service's name is "STACK-" and at least one more.
const stack = z.string({ error: stackError }).max(MAX_NAME_LENGTH - 2, { error: stackError }).regex(DNS_LABEL, { error: stackError })

const serviceError = 'a service name (a DNS label)'
const dependencyService = z.string({ error: serviceError }).max(MAX_NAME_LENGTH, { error: serviceError }).regex(DNS_LABEL, { error: serviceError })

const dependsOnError = `an array of at most ${MAX_DEPENDS_ON} {service, condition} objects`
const dependsOn = z.array(strictObject({
  service: dependencyService,
  condition: z.enum(['started', 'healthy'], { error: 'one of "started", "healthy"' }).optional()
}, 'an object {service, condition}'), { error: dependsOnError }).max(MAX_DEPENDS_ON, { error: dependsOnError })

/** The stack fields of serviceSpecSchema, all optional. */
export const stackFields = {
  stack: stack.optional(),
  dependsOn: dependsOn.optional()
}

type DependencyInput = z.output<typeof dependsOn>[number]

/** Why a spec's stack or dependsOn breaks a rule across fields (name prefix, self or repeated dependency), or undefined. */
export function stackProblem (spec: { name: string, stack?: string, dependsOn?: DependencyInput[] }): SpecProblem | undefined {
  if (spec.stack !== undefined && !(spec.name.startsWith(`${spec.stack}-`) && spec.name.length > spec.stack.length + 1)) {
    return { path: ['name'], message: `expected a name starting with "${spec.stack}-" (the stack's name, then the service's), got ${JSON.stringify(spec.name)}` }
  }
  const seen = new Map<string, number>()
  for (const [index, dependency] of (spec.dependsOn ?? []).entries()) {
    if (dependency.service === spec.name) {
      return { path: ['dependsOn', index, 'service'], message: `expected another service than this one, got ${JSON.stringify(dependency.service)}` }
    }
    const earlier = seen.get(dependency.service)
    if (earlier !== undefined) {
      return { path: ['dependsOn', index, 'service'], message: `expected a service not already in dependsOn[${earlier}], got ${JSON.stringify(dependency.service)}` }
    }
    seen.set(dependency.service, index)
  }
  return undefined
}

/** The stored form of dependsOn: condition filled in ("started"), sorted by service so order is no change. */
export function normaliseDependsOn (input: DependencyInput[]): ServiceDependency[] {
  return input
    .map((dependency) => ({ service: dependency.service, condition: dependency.condition ?? 'started' }))
    .sort((a, b) => a.service < b.service ? -1 : a.service > b.service ? 1 : 0)
}
