// `meshd service …`: create, update, ls, ps, inspect, scale, rm — Docker Swarm's verbs
// against any node's API.

import type { Command } from 'commander'
import type { ServiceView } from '../api/index.ts'
import { clientOf, withClientOptions } from './connection.ts'
import type { ClientFlags } from './connection.ts'
import { collect, healthFromFlags, keyValues, numeric, publish } from './flags.ts'
import type { HealthFlags } from './flags.ts'
import { waitForServices } from './progress.ts'
import { ago, table } from './table.ts'

/** Adds --detach and --timeout to a command that waits for convergence. */
export function withWaitOptions (command: Command): Command {
  return command
    .option('-d, --detach', 'return at once instead of waiting for healthy replicas')
    .option('--timeout <seconds>', 'how long to wait for convergence', '120')
}

/** Waits with live progress unless --detach; prints the final views with --json. */
export async function settle (flags: ClientFlags, names: string[], opts: { gone?: boolean } = {}): Promise<void> {
  const client = clientOf(flags)
  if (flags.detach === true) return
  const views = await waitForServices(client, names, {
    timeoutMs: Number(flags.timeout ?? 120) * 1000, out: flags.json === true ? process.stderr : process.stdout, ...opts
  })
  if (flags.json === true && opts.gone !== true) process.stdout.write(`${JSON.stringify(views, null, 2)}\n`)
}

interface SpecFlags extends HealthFlags, ClientFlags {
  name?: string
  replicas?: string
  publish?: string[]
  env?: string[]
  label?: string[]
}

export function registerServiceCommands (program: Command): void {
  const service = program.command('service').description('manage services').enablePositionalOptions()

  withWaitOptions(withClientOptions(healthOptions(service.command('create')
    .description('create a service: meshd service create --name web --replicas 3 -p 8080:80 IMAGE [COMMAND...]')
    .argument('<image>').argument('[command...]')
    .passThroughOptions()
    .requiredOption('--name <name>', 'service name (a DNS label)')
    .option('--replicas <n>', 'number of replicas', '1')
    .option('-p, --publish <published:target>', 'publish a port (repeatable)', collect)
    .option('-e, --env <K=V>', 'set an environment variable (repeatable)', collect)
    .option('--label <K=V>', 'set a label (repeatable)', collect))))
    .action(async (image: string, command: string[], flags: SpecFlags) => {
      const spec: Record<string, unknown> = {
        name: flags.name, image, replicas: numeric(flags.replicas ?? '1'),
        ports: (flags.publish ?? []).map(publish), env: keyValues('--env', flags.env), labels: keyValues('--label', flags.label)
      }
      if (command.length > 0) spec.command = command
      const health = healthFromFlags(flags)
      if (health !== undefined) spec.health = health
      const view = await clientOf(flags).put<ServiceView>(`/v1/services/${encodeURIComponent(flags.name ?? '')}`, spec)
      if (flags.json !== true) process.stdout.write(`${view.spec.name}: created, generation ${view.generation}\n`)
      await settle(flags, [view.spec.name])
    })

  withWaitOptions(withClientOptions(healthOptions(service.command('update')
    .description('change a service; replicas are replaced start-first')
    .argument('<name>')
    .option('--image <image>', 'new image')
    .option('--replicas <n>', 'number of replicas')
    .option('--args <command...>', 'new command')
    .option('--env-add <K=V>', 'add or change an environment variable', collect)
    .option('--env-rm <K>', 'remove an environment variable', collect)
    .option('--label-add <K=V>', 'add or change a label', collect)
    .option('--label-rm <K>', 'remove a label', collect)
    .option('--publish-add <published:target>', 'publish a port', collect)
    .option('--publish-rm <published>', 'stop publishing a port', collect))))
    .action(async (name: string, flags: UpdateFlags) => {
      const client = clientOf(flags)
      const current = await client.get<ServiceView>(`/v1/services/${encodeURIComponent(name)}`)
      // Only if nobody changed the service since it was read: a concurrent change is a 409, never lost.
      const view = await client.put<ServiceView>(`/v1/services/${encodeURIComponent(name)}`, updatedSpec(current, flags), { ifMatch: current.version })
      if (flags.json !== true) process.stdout.write(`${name}: ${view.generation === current.generation ? 'updated' : `generation ${current.generation} → ${view.generation}`}\n`)
      await settle(flags, [name])
      if (flags.detach === true) return
      const after = await client.get<ServiceView>(`/v1/services/${encodeURIComponent(name)}`)
      if (after.generation !== view.generation) {
        throw new Error(`${name}: the update to generation ${view.generation} was rolled back to ${after.generation}: ${after.rollout?.reason ?? 'it failed'}`)
      }
    })

  withWaitOptions(withClientOptions(service.command('rollback')
    .description('roll a service back to its previous spec, in batches like an update').argument('<name>')))
    .action(async (name: string, flags: ClientFlags) => {
      const view = await clientOf(flags).post<ServiceView>(`/v1/services/${encodeURIComponent(name)}/rollback`, {})
      if (flags.json !== true) process.stdout.write(`${name}: rolling back to generation ${view.generation}\n`)
      await settle(flags, [name])
    })

  withClientOptions(service.command('ls').description('list services'))
    .action(async (flags: ClientFlags) => {
      const views = await clientOf(flags).get<ServiceView[]>('/v1/services')
      if (flags.json === true) { process.stdout.write(`${JSON.stringify(views, null, 2)}\n`); return }
      process.stdout.write(serviceTable(views))
    })

  withClientOptions(service.command('ps').description('list the replicas of a service').argument('<name>'))
    .action(async (name: string, flags: ClientFlags) => {
      const view = await clientOf(flags).get<ServiceView>(`/v1/services/${encodeURIComponent(name)}`)
      if (flags.json === true) { process.stdout.write(`${JSON.stringify(view.replicas, null, 2)}\n`); return }
      process.stdout.write(table(REPLICA_HEADERS, replicaRows(view)))
      for (const note of replicaNotes(view)) process.stdout.write(`${note}\n`)
      const stats = view.mesh?.stats
      if (stats !== undefined) {
        process.stdout.write(`mesh on this node: ${stats.connections.active} open, ${stats.connections.total} connections, ${stats.errors} errors, ${stats.retries} retries\n`)
      }
    })

  withClientOptions(service.command('inspect').description('show a service as JSON').argument('<name>'))
    .action(async (name: string, flags: ClientFlags) => {
      const view = await clientOf(flags).get<ServiceView>(`/v1/services/${encodeURIComponent(name)}`)
      process.stdout.write(`${JSON.stringify(view, null, 2)}\n`)
    })

  withWaitOptions(withClientOptions(service.command('scale')
    .description('scale services: meshd service scale web=5 [api=2 ...]').argument('<name=replicas...>')))
    .action(async (pairs: string[], flags: ClientFlags) => {
      const client = clientOf(flags)
      const targets = pairs.map((pair) => {
        const [name = '', replicas] = pair.split('=')
        if (replicas === undefined || name === '') throw new Error(`scale: expected NAME=REPLICAS, got "${pair}"`)
        return { name, replicas: numeric(replicas) }
      })
      for (const { name, replicas } of targets) {
        const current = await client.get<ServiceView>(`/v1/services/${encodeURIComponent(name)}`)
        await client.post(`/v1/services/${encodeURIComponent(name)}/scale`, { replicas }, { ifMatch: current.version })
        if (flags.json !== true) process.stdout.write(`${name}: scaled to ${replicas}\n`)
      }
      await settle(flags, targets.map((t) => t.name))
    })

  withWaitOptions(withClientOptions(service.command('rm').description('remove services and their containers').argument('<name...>')))
    .action(async (names: string[], flags: ClientFlags) => {
      const client = clientOf(flags)
      for (const name of names) {
        await client.delete(`/v1/services/${encodeURIComponent(name)}`)
        if (flags.json !== true) process.stdout.write(`${name}: removed\n`)
      }
      await settle(flags, names, { gone: true })
    })
}

interface UpdateFlags extends HealthFlags, ClientFlags {
  image?: string
  replicas?: string
  args?: string[]
  envAdd?: string[]
  envRm?: string[]
  labelAdd?: string[]
  labelRm?: string[]
  publishAdd?: string[]
  publishRm?: string[]
}

/** The service's spec with the update flags applied. */
function updatedSpec (current: ServiceView, flags: UpdateFlags): Record<string, unknown> {
  const spec: Record<string, unknown> = { ...current.spec }
  if (flags.image !== undefined) spec.image = flags.image
  if (flags.replicas !== undefined) spec.replicas = numeric(flags.replicas)
  if (flags.args !== undefined) spec.command = flags.args
  const env = { ...current.spec.env, ...keyValues('--env-add', flags.envAdd) }
  for (const key of flags.envRm ?? []) delete env[key]
  const labels = { ...current.spec.labels, ...keyValues('--label-add', flags.labelAdd) }
  for (const key of flags.labelRm ?? []) delete labels[key]
  const removed = new Set((flags.publishRm ?? []).map(Number))
  spec.env = env
  spec.labels = labels
  spec.ports = [...current.spec.ports.filter((p) => p.published === undefined || !removed.has(p.published)), ...(flags.publishAdd ?? []).map(publish)]
  const health = healthFromFlags(flags)
  if (health !== undefined) spec.health = { ...current.spec.health, ...health }
  return spec
}

function healthOptions (command: Command): Command {
  return command
    .option('--health-type <type>', 'tcp, http or cmd')
    .option('--health-port <port>', 'container port to probe (default: the first published target)')
    .option('--health-path <path>', 'HTTP path to GET')
    .option('--health-cmd <command>', 'command run in the container with sh -c')
    .option('--health-interval <duration>', 'time between probes, e.g. 1s')
    .option('--health-timeout <duration>', 'probe timeout, e.g. 1s')
    .option('--health-retries <n>', 'consecutive failures before unhealthy')
    .option('--health-start-period <duration>', 'grace period after start')
}

/** `service ls`: one row per service. */
export function serviceTable (views: ServiceView[]): string {
  return table(['NAME', 'REPLICAS', 'IMAGE', 'PORTS', 'GENERATION', 'UPDATED'], views.map((v) => [
    v.spec.name, `${v.status.healthy}/${v.status.desired}`, v.spec.image,
    v.spec.ports.map((p) => p.published === undefined ? `${p.target}/tcp` : `*:${p.published}->${p.target}/tcp${portProblem(v, p.published)}`).join(','), String(v.generation), ago(v.updatedAt)
  ]))
}

export const REPLICA_HEADERS = ['SLOT', 'NODE', 'STATE', 'GENERATION', 'CONTAINER', 'ENDPOINT', 'LAST FAILURE']

/** `service ps`: one row per replica, its slot as "NAME.SLOT". */
export function replicaRows (view: ServiceView): string[][] {
  const name = view.spec.name
  return view.replicas.map((r) => [
    `${name}.${r.slot}`, r.node, r.error === undefined ? r.state : `${r.state}: ${r.error}`, String(r.generation), r.container.slice(0, 12), r.endpoint,
    r.lastFailure === undefined ? '' : `${ago(r.lastFailure.at)} ago ${r.lastFailure.state}: ${r.lastFailure.error}`
  ])
}

/** What `service ps` says under the table: where volume data is, slots not placed and why, ports the mesh could not open. */
export function replicaNotes (view: ServiceView): string[] {
  const name = view.spec.name
  return [
    ...(view.data ?? []).map((d) => `${name}.${d.slot}: volume data on ${d.node}${d.released ? ' (released, moving)' : ''}`),
    ...view.unplaced.map((u) => `${name}.${u.slot < 0 ? '*' : u.slot}: not placed: ${u.reason}`),
    ...(view.mesh?.problems ?? []).map((p) => `${name}: port ${p.published} not served by the mesh on this node: ${p.error}`)
  ]
}

/** " (not listening: …)" when this node's mesh could not open the published port. */
function portProblem (view: ServiceView, published: number): string {
  const problem = view.mesh?.problems.find((p) => p.published === published)
  return problem === undefined ? '' : ` (not listening: ${problem.error})`
}
