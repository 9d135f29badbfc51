import type Docker from 'dockerode'
import type { ServiceSpec } from '../../crdt/index.ts'
import { LABELS, type CreateRequest } from './types.ts'

/** Docker's container name for a replica: meshd-<node>-<service>-<slot>-g<generation>-<suffix>. */
export function containerName (nodeName: string, req: CreateRequest, suffix: string): string {
  // Docker names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*; a node name is free text.
  const node = nodeName.replace(/[^a-zA-Z0-9_.-]/g, '-')
  return `meshd-${node}-${req.spec.name}-${req.slot}-g${req.generation}-${suffix}`
}

/** Container ports to publish: every port's target, plus the health check's port if it is not among them. */
export function publishedTargets (spec: ServiceSpec): number[] {
  const targets = spec.ports.map(port => port.target)
  const healthPort = spec.health?.port
  if (healthPort !== undefined) targets.push(healthPort)
  return [...new Set(targets)]
}

/** The create options of one replica: labelled, each target published on host with an ephemeral port, never restarted by Docker. */
export function createOptions (req: CreateRequest, init: { host: string, nodeName: string, name: string }): Docker.ContainerCreateOptions {
  const { spec } = req
  const exposed: Record<string, {}> = {}
  const bindings: Record<string, Array<{ HostIp: string, HostPort: string }>> = {}
  for (const target of publishedTargets(spec)) {
    exposed[`${target}/tcp`] = {}
    // HostPort '' lets Docker pick a free port; HostIp keeps it on this node's address.
    bindings[`${target}/tcp`] = [{ HostIp: init.host, HostPort: '' }]
  }
  return {
    name: init.name,
    Image: spec.image,
    ...(spec.command === undefined ? {} : { Cmd: spec.command }),
    // Where the replica runs, as Swarm's {{.Node.Hostname}} and {{.Task.Slot}} templates would say.
    Env: [
      ...Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
      `MESHD_NODE=${init.nodeName}`, `MESHD_SERVICE=${spec.name}`, `MESHD_SLOT=${req.slot}`, `MESHD_GENERATION=${req.generation}`
    ],
    // meshd's labels last: a user label must not disown a container.
    Labels: {
      ...spec.labels,
      [LABELS.service]: spec.name,
      [LABELS.slot]: String(req.slot),
      [LABELS.node]: init.nodeName,
      [LABELS.generation]: String(req.generation)
    },
    ExposedPorts: exposed,
    HostConfig: {
      PortBindings: bindings,
      // The reconciler replaces failed replicas; a Docker restart would race it.
      RestartPolicy: { Name: 'no' }
    }
  }
}
