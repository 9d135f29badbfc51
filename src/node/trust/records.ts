// What every record read from the document must look like: the same rules as the API
// for service specs (spec/), and shapes for the records nodes write themselves. A
// record that fails is ignored by this node — it never reaches placement, the mesh,
// the reconciler or the API — and is listed as a problem.

// A namespace import, not `import { z }`: `z` is zod's object of everything, every locale too (spec/schema.ts).
import * as z from 'zod'
import { ACME_ACCOUNT_KEY, ALERT_STATES, CERT_SOURCES, NOTICE_PHASES, REPLICA_STATES, ROLES } from '../../crdt/index.ts'
import { certificateProblem, hostProblem } from '../certs/index.ts'
import { alertForMs, parseRule, parseWebhook, specLimits, storedSpecProblem } from '../spec/index.ts'

const { MAX_NAME_LENGTH, MAX_REPLICAS, MAX_PORTS, MAX_STORED_BYTES } = specLimits
const time = z.number().finite().nonnegative()
const count = (max: number) => z.number().int().min(0).max(max)
const text = (max: number) => z.string().max(max)
const label = z.string().regex(/^[a-z](?:[a-z0-9-]*[a-z0-9])?$/).max(MAX_NAME_LENGTH)
const sealed = { by: text(128).optional(), sig: text(128).optional() }
const slot = count(2 ** 32)
const generation = count(2 ** 31)
const ports = z.array(z.object({ target: count(65535), endpoint: text(64) })).max(MAX_PORTS)
const failure = z.object({ container: text(128), state: z.enum(REPLICA_STATES), error: text(4096), at: time, generation: generation.optional() })

// A secret or config version: filed under "NAME@VERSION" (checked in recordProblem).
const stored = { name: label, version: count(2 ** 31).min(1), size: count(MAX_STORED_BYTES), createdAt: time, updatedAt: time, stack: label.optional() }
// Base64 of the largest content, sealed (its tag) and padded.
const STORED_BASE64 = Math.ceil((MAX_STORED_BYTES + 16) / 3) * 4
const base64 = (max: number) => z.string().max(max).regex(/^[A-Za-z0-9+/]*={0,2}$/)
const decision = z.object({ at: time, from: count(MAX_REPLICAS), to: count(MAX_REPLICAS), reason: text(1024) })
const figure = z.number().finite().nonnegative().optional()

// A private key sealed under the secrets key (a PEM here is a key in plaintext: refused).
const sealedKey = z.object({ nonce: base64(16), data: base64(16 * 1024), key: base64(80) }).strict()
const token = z.string().regex(/^[A-Za-z0-9_-]{1,256}$/)
const acmeAccount = z.object({ ...sealed, key: sealedKey, email: text(254).optional(), createdAt: time, updatedAt: time })

const schemas = {
  nodes: z.object({
    ...sealed,
    name: label,
    host: text(64),
    apiPort: count(65535),
    p2pPort: count(65535),
    labels: z.record(text(256), text(1024)),
    capacity: z.object({ cpus: z.number().positive().max(specLimits.MAX_CPUS), memory: z.number().nonnegative().max(2 ** 50) }).optional(),
    draining: z.boolean(),
    startedAt: time,
    avoid: z.record(label, time).optional(),
    meshPort: count(65535).optional(),
    ingressPorts: z.array(count(65535)).max(2).optional(),
    holds: z.record(text(2 * MAX_NAME_LENGTH), z.object({ service: label, slot, epoch: count(2 ** 31).min(1), released: z.boolean().optional() })).optional(),
    backups: z.record(text(4 * MAX_NAME_LENGTH), z.object({
      service: label, slot, source: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/).max(MAX_NAME_LENGTH), at: time, bytes: count(2 ** 50), sha256: z.string().regex(/^[0-9a-f]{64}$/), from: text(128)
    })).optional()
  }),
  replicas: z.object({
    ...sealed,
    service: label,
    slot,
    generation,
    node: text(MAX_NAME_LENGTH),
    container: text(128),
    endpoint: text(64),
    ports,
    state: z.enum(REPLICA_STATES),
    error: text(4096).optional(),
    lastFailure: failure.optional(),
    since: time.optional(),
    address: text(64).optional(),
    updatedAt: time
  }),
  rollouts: z.object({
    ...sealed,
    generation,
    from: generation,
    phase: z.enum(['rolling', 'paused', 'completed', 'rolled-back']),
    updated: z.array(slot).max(MAX_REPLICAS * 4),
    failed: z.array(slot).max(MAX_REPLICAS * 4),
    failures: count(MAX_REPLICAS * 4),
    rollback: z.boolean().optional(),
    batchAt: time.optional(),
    reason: text(4096).optional(),
    startedAt: time,
    updatedAt: time
  }),
  drains: z.object({ ...sealed, draining: z.boolean(), updatedAt: time }),
  tokens: z.object({
    ...sealed,
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    role: z.enum(ROLES),
    services: z.array(text(MAX_NAME_LENGTH)).max(64).optional(),
    expiresAt: time.optional(),
    createdAt: time,
    createdBy: text(256)
  }),
  removals: z.object({ ...sealed, reason: z.enum(['removed', 'superseded', 'reaped']), name: text(MAX_NAME_LENGTH), at: time }),
  secrets: z.object({ ...sealed, ...stored, nonce: base64(16), data: base64(STORED_BASE64), key: base64(80) }),
  configs: z.object({ ...sealed, ...stored, data: base64(STORED_BASE64) }),
  alerts: z.object({ ...sealed, when: text(256), for: text(64).optional(), notify: z.object({ webhook: text(2048), credentials: z.object({ nonce: base64(16), data: base64(2048), key: base64(80) }).optional() }), createdAt: time, updatedAt: time }),
  alertStates: z.object({
    ...sealed,
    rule: text(512),
    state: z.enum(ALERT_STATES),
    since: time,
    startsAt: time.optional(),
    endsAt: time.optional(),
    fingerprint: z.string().regex(/^[0-9a-f]{16}$/).optional(),
    instances: z.array(z.object({ labels: z.record(text(64), text(256)), value: z.number().finite().optional() })).max(256).optional(),
    notice: z.object({ id: text(128), status: z.enum(['firing', 'resolved']), phase: z.enum(NOTICE_PHASES), by: text(128), at: time, attempts: count(100), error: text(1024).optional() }).optional(),
    updatedAt: time
  }),
  autoscale: z.object({
    ...sealed,
    serviceCreatedAt: time,
    desired: count(MAX_REPLICAS),
    metrics: z.object({ running: count(MAX_REPLICAS * 4), cpu: figure, connections: figure, requestsPerSecond: figure, at: time }),
    lastDecision: decision.optional(),
    decisions: z.array(decision).max(32),
    recommendations: z.array(z.object({ at: time, replicas: count(MAX_REPLICAS) })).max(256),
    updatedAt: time
  })
,
  certs: z.object({
    ...sealed,
    certificate: text(64 * 1024),
    key: sealedKey,
    notAfter: time,
    fingerprint: z.string().regex(/^[0-9A-F]{2}(?::[0-9A-F]{2}){31}$/),
    source: z.enum(CERT_SOURCES),
    issuedBy: text(128),
    updatedAt: time
  }),
  acme: z.object({
    ...sealed,
    lease: z.object({ node: text(128), until: time }).optional(),
    challenges: z.record(token, z.string().regex(/^[A-Za-z0-9_-]{1,256}\.[A-Za-z0-9_-]{43}$/)).refine((c) => Object.keys(c).length <= 16, 'at most 16 challenges').optional(),
    lastError: text(2048).optional(),
    attempts: count(1_000_000),
    nextAttemptAt: time.optional(),
    updatedAt: time
  })
} as const

const serviceRecord = z.object({
  ...sealed,
  spec: z.unknown(),
  generation: generation.min(1),
  previous: z.object({ spec: z.unknown(), generation, imageId: text(128).optional() }).optional(),
  imageId: text(128).optional(),
  addressIndex: count(2 ** 16).optional(),
  createdAt: time,
  updatedAt: time
})

export type RecordKind = keyof typeof schemas | 'services'

/** Why a record read from the document is not acceptable, or undefined when it is. */
export function recordProblem (kind: RecordKind, key: string, record: unknown): string | undefined {
  if (kind === 'services') return serviceProblem(key, record)
  if (kind === 'acme' && key === ACME_ACCOUNT_KEY) {
    const account = acmeAccount.safeParse(record)
    return account.success ? undefined : shapeProblem(account.error)
  }
  const result = schemas[kind].safeParse(record)
  if (!result.success) return shapeProblem(result.error)
  if ((kind === 'secrets' || kind === 'configs') && 'version' in result.data && key !== `${result.data.name}@${result.data.version}`) {
    return 'record: filed under another name or version than its own'
  }
  if (kind === 'certs' || kind === 'acme') {
    const host = hostProblem(key)
    if (host !== undefined) return `record: filed under a name that is not a host (${host})`
    // One writer at a time: a certificate by the node it names, challenges under the writer's own lease.
    const { by, issuedBy, lease } = result.data as { by?: string, issuedBy?: string, lease?: { node: string } }
    if (kind === 'certs' && by !== undefined && issuedBy !== by) return 'issuedBy: not the node that wrote it'
    if (kind === 'acme' && by !== undefined && lease !== undefined && lease.node !== by) return 'lease: held by another node than the one that wrote it'
    if (kind === 'certs') return certificateProblem((result.data as { certificate: string }).certificate)
  }
  if (kind === 'alerts') return alertProblem(key, result.data as { when: string, for?: string, notify: { webhook: string } })
  return undefined
}

function serviceProblem (name: string, record: unknown): string | undefined {
  const result = serviceRecord.safeParse(record)
  if (!result.success) return shapeProblem(result.error)
  const problem = storedSpecProblem(result.data.spec, name)
  if (problem !== undefined || result.data.previous === undefined) return problem
  const previous = storedSpecProblem(result.data.previous.spec, name)
  return previous === undefined ? undefined : `previous.${previous}`
}

// The same rules as PUT /v1/alerts/NAME: a peer's rule that the API would refuse is ignored.
function alertProblem (name: string, record: { when: string, for?: string, notify: { webhook: string } }): string | undefined {
  if (!/^[a-z](?:[a-z0-9-]*[a-z0-9])?$/.test(name) || name.length > MAX_NAME_LENGTH) return 'record: filed under a name that is not an alert name'
  try {
    parseRule(record.when)
    alertForMs(record.for)
    parseWebhook(record.notify.webhook)
    const url = new URL(record.notify.webhook)
    return url.username === '' && url.password === '' ? undefined : 'notify.webhook: credentials in plaintext (they belong in notify.credentials, sealed)'
  } catch (err) {
    return (err as Error).message
  }
}

function shapeProblem (error: z.ZodError): string {
  const issue = error.issues[0]
  return issue === undefined ? 'invalid' : `${issue.path.join('.') || 'record'}: ${issue.message}`
}
