// The shapes of a service spec and of a scale request, in zod. Every schema and
// check carries the "expected …" half of its error message; issues.ts adds the
// field's path and what was actually given. Rules that span fields live in rules.ts.

// A namespace import, not `import { z }`: esbuild then bundles only the schemas used.
// `z` is zod's object of everything (every locale too), ~450 KiB and ~8 MB of RSS.
import * as z from 'zod'
import { parseConstraint } from '../../placement/index.ts'
import {
  MAX_COMMAND_ITEMS, MAX_CONSTRAINTS, MAX_CPUS, MAX_HEALTH_DURATION_MS, MAX_HEALTH_PATH_LENGTH, MAX_MEMORY, MAX_NAME_LENGTH, MAX_PIDS, MAX_PORT,
  MAX_ALLOW_FROM, MAX_PORTS, MAX_REPLICAS, MAX_RESTART_ATTEMPTS, MAX_RETRIES, MAX_UPDATE_DURATION_MS, MIN_CPUS_LIMIT, MIN_MEMORY_LIMIT, MIN_PORT, MIN_RETRIES,
  RESERVED_LABEL_PREFIX
} from './constants.ts'
import { autoscaleSchema } from './autoscale.ts'
import { configRefs, secretRefs } from './files.ts'
import { imageReferenceProblem } from './image.ts'
import { ingressSchema } from './ingress.ts'
import { processFields } from './process.ts'
import { duration, integer, memorySize, strictObject } from './shapes.ts'
import { stackFields } from './stack.ts'
import { backupSchema, tmpfsSchema, volumesSchema } from './volumes.ts'

// RFC 1123 label, lowercase only: it becomes a DNS name, a container name and a Docker label.
const DNS_LABEL = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/
// The path goes into an HTTP request line: whitespace or control characters could split it.
const HTTP_PATH = /^\/[^\s\p{Cc}]*$/u

function stringRecord (key: z.ZodType<string>, expected: string) {
  return z.record(key, z.string({ error: 'a string' }), { error: expected })
}

const port = integer(MIN_PORT, MAX_PORT)

const nameError = `a DNS label (lowercase letters, digits and "-", starting with a letter, not ending with "-", at most ${MAX_NAME_LENGTH} characters)`
const name = z.string({ error: nameError })
  .max(MAX_NAME_LENGTH, { error: nameError })
  .regex(DNS_LABEL, { error: nameError })

const IMAGE_EXPECTED = 'a Docker image reference like "nginx:1.27"'
const image = z.string({ error: IMAGE_EXPECTED }).superRefine((reference, ctx) => {
  const problem = imageReferenceProblem(reference)
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${IMAGE_EXPECTED} (${problem})` })
})

const commandError = `an array of at most ${MAX_COMMAND_ITEMS} strings`
const command = z.array(z.string({ error: 'a string' }), { error: commandError })
  .max(MAX_COMMAND_ITEMS, { error: commandError })

const env = stringRecord(
  z.string().regex(ENV_KEY, { error: 'a variable name matching [A-Za-z_][A-Za-z0-9_]*' }),
  'an object of strings keyed by variable names'
)

const labels = stringRecord(
  z.string().refine((key) => !key.startsWith(RESERVED_LABEL_PREFIX), {
    error: `a key without the prefix "${RESERVED_LABEL_PREFIX}" (reserved for meshd's own labels)`
  }),
  'an object of strings'
)

const replicas = integer(0, MAX_REPLICAS)

const portsError = `an array of at most ${MAX_PORTS} {published, target, proxyProtocol} objects`
const ports = z.array(strictObject({
  published: port.optional(),
  target: port,
  proxyProtocol: z.boolean({ error: 'true or false' }).optional()
}, 'an object {published, target, proxyProtocol}'), { error: portsError })
  .max(MAX_PORTS, { error: portsError })

const healthCmdError = `a non-empty array of at most ${MAX_COMMAND_ITEMS} strings`
const health = strictObject({
  type: z.enum(['tcp', 'http', 'cmd'], { error: 'one of "tcp", "http", "cmd"' }),
  port: port.optional(),
  path: z.string({ error: 'a string' })
    .max(MAX_HEALTH_PATH_LENGTH, { error: `a path of at most ${MAX_HEALTH_PATH_LENGTH} characters` })
    .regex(HTTP_PATH, { error: 'a path starting with "/" without whitespace or control characters' })
    .optional(),
  cmd: z.array(z.string({ error: 'a string' }), { error: healthCmdError })
    .min(1, { error: healthCmdError })
    .max(MAX_COMMAND_ITEMS, { error: healthCmdError })
    // An empty program name is never runnable; say so at the item rather than at exec time.
    .refine((cmd) => cmd[0] !== '', { error: 'a non-empty program name', path: [0] })
    .optional(),
  interval: duration(1, MAX_HEALTH_DURATION_MS).optional(),
  timeout: duration(1, MAX_HEALTH_DURATION_MS).optional(),
  retries: integer(MIN_RETRIES, MAX_RETRIES).optional(),
  startPeriod: duration(0, MAX_HEALTH_DURATION_MS).optional()
}, 'an object {type, port, path, cmd, interval, timeout, retries, startPeriod}')

const allowFromError = `an array of at most ${MAX_ALLOW_FROM} service names or "external"`
const allowFrom = z.array(z.string({ error: 'a service name or "external"' })
  .max(MAX_NAME_LENGTH, { error: 'a service name or "external"' })
  .regex(DNS_LABEL, { error: 'a service name or "external"' }), { error: allowFromError })
  .max(MAX_ALLOW_FROM, { error: allowFromError })

const constraintsError = `an array of at most ${MAX_CONSTRAINTS} constraints such as "node.labels.zone==a" or "node.name!=n1"`
const constraints = z.array(z.string({ error: 'a constraint string such as "node.labels.zone==a"' }).superRefine((text, ctx) => {
  try {
    parseConstraint(text)
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `a constraint such as "node.labels.zone==a" (${(err as Error).message})` })
  }
}), { error: constraintsError }).max(MAX_CONSTRAINTS, { error: constraintsError })

const cpusLimitError = `a number of cpus between ${MIN_CPUS_LIMIT} and ${MAX_CPUS}, such as 0.5`
const limits = strictObject({
  cpus: z.number({ error: cpusLimitError }).min(MIN_CPUS_LIMIT, { error: cpusLimitError }).max(MAX_CPUS, { error: cpusLimitError }).optional(),
  memory: memorySize(MIN_MEMORY_LIMIT, MAX_MEMORY).optional(),
  pids: integer(1, MAX_PIDS).optional()
}, 'an object {cpus, memory, pids}')

const resources = strictObject({
  cpus: z.number({ error: `a number of cpus above 0, at most ${MAX_CPUS}` }).gt(0, { error: `a number of cpus above 0, at most ${MAX_CPUS}` }).max(MAX_CPUS, { error: `a number of cpus above 0, at most ${MAX_CPUS}` }).optional(),
  memory: integer(1, MAX_MEMORY).optional(),
  limits: limits.optional()
}, 'an object {cpus, memory, limits} (memory in bytes)')

const update = strictObject({
  parallelism: integer(1, MAX_REPLICAS).optional(),
  delay: duration(0, MAX_UPDATE_DURATION_MS).optional(),
  order: z.enum(['start-first', 'stop-first'], { error: 'one of "start-first", "stop-first"' }).optional(),
  failureAction: z.enum(['rollback', 'pause', 'continue'], { error: 'one of "rollback", "pause", "continue"' }).optional(),
  monitor: duration(0, MAX_UPDATE_DURATION_MS).optional(),
  maxFailureRatio: z.number({ error: 'a number between 0 and 1' }).min(0, { error: 'a number between 0 and 1' }).max(1, { error: 'a number between 0 and 1' }).optional()
}, 'an object {parallelism, delay, order, failureAction, monitor, maxFailureRatio}')

const restart = strictObject({
  condition: z.enum(['any', 'on-failure', 'none'], { error: 'one of "any", "on-failure", "none"' }).optional(),
  delay: duration(0, MAX_UPDATE_DURATION_MS).optional(),
  maxAttempts: integer(0, MAX_RESTART_ATTEMPTS).optional(),
  window: duration(1, MAX_UPDATE_DURATION_MS).optional()
}, 'an object {condition, delay, maxAttempts, window}')

/** A service spec as written, before the rules across fields and the defaults. */
export const serviceSpecSchema = strictObject({
  name,
  image,
  command: command.optional(),
  ...processFields,
  env: env.optional(),
  replicas: replicas.optional(),
  ports: ports.optional(),
  health: health.optional(),
  labels: labels.optional(),
  mode: z.enum(['replicated', 'global'], { error: 'one of "replicated", "global"' }).optional(),
  constraints: constraints.optional(),
  maxPerNode: integer(1, MAX_REPLICAS).optional(),
  resources: resources.optional(),
  update: update.optional(),
  restart: restart.optional(),
  allowFrom: allowFrom.optional(),
  policy: z.enum(['enforce', 'observe'], { error: 'one of "enforce", "observe"' }).optional(),
  secrets: secretRefs.optional(),
  configs: configRefs.optional(),
  volumes: volumesSchema.optional(),
  tmpfs: tmpfsSchema.optional(),
  backup: backupSchema.optional(),
  ...stackFields,
  autoscale: autoscaleSchema.optional(),
  ingress: ingressSchema.optional()
}, 'an object with the service spec: {name, image, command, entrypoint, user, workingDir, stopSignal, stopGracePeriod, env, replicas, ports, health, labels, mode, constraints, maxPerNode, resources, update, restart, allowFrom, policy, secrets, configs, volumes, tmpfs, backup, stack, dependsOn, autoscale, ingress}')

/** The body of `POST /v1/services/NAME/scale`. */
export const scaleRequestSchema = strictObject({ replicas }, 'an object {"replicas": n}')

/** A body that has the right shape, before rules.ts and normalise.ts. */
export type ServiceSpecInput = z.output<typeof serviceSpecSchema>
