// The metric families of GET /metrics, each read at scrape time from the scrape in
// hand (collect callbacks), never instrumented on the hot path: counters are the
// parts' own counters (they only grow while the daemon runs), gauges the present.

import type { Counter, Gauge, Registry } from 'prom-client'
import type { RolloutRecord } from '../../crdt/index.ts'
import type { Scrape } from './scrape.ts'

/** The prom-client classes the families are built from (loaded on the first scrape). */
export interface PromClasses {
  Counter: typeof Counter
  Gauge: typeof Gauge
}

type Labels = Record<string, string | number>
type Samples = Iterable<readonly [Labels, number]>

/** A histogram kept elsewhere: per-bound counts (not cumulative, the last above every bound) and the sum, in seconds. */
interface HistogramSample { labels: Labels, bounds: readonly number[], counts: readonly number[], sum: number }

const ROLLOUT_PHASES: ReadonlyArray<RolloutRecord['phase']> = ['rolling', 'paused', 'completed', 'rolled-back']

/** Registers every family on `registry`; each reads `current()` when scraped. */
export function registerFamilies (prom: PromClasses, registry: Registry, current: () => Scrape): void {
  const gauge = (name: string, help: string, labelNames: string[], read: (s: Scrape) => Samples): void => {
    new prom.Gauge({ name, help, labelNames, registers: [registry], collect () { this.reset(); for (const [labels, value] of read(current())) this.set(labels, value) } })
  }
  const counter = (name: string, help: string, labelNames: string[], read: (s: Scrape) => Samples): void => {
    new prom.Counter({ name, help, labelNames, registers: [registry], collect () { this.reset(); for (const [labels, value] of read(current())) this.inc(labels, value) } })
  }
  const histogram = (name: string, help: string, read: (s: Scrape) => HistogramSample[]): void => {
    registry.registerMetric(histogramMetric(name, help, () => read(current())))
  }

  const services = (s: Scrape) => s.services
  gauge('meshd_service_replicas_desired', 'Replicas the service asks for (placed slots of a global service), as this node sees the cluster.', ['service'],
    (s) => services(s).map((x) => [{ service: x.service }, x.desired]))
  gauge('meshd_service_replicas_running', 'Replicas whose container runs (running, healthy or unhealthy) on members not dead.', ['service'],
    (s) => services(s).map((x) => [{ service: x.service }, x.running]))
  gauge('meshd_service_replicas_healthy', 'Healthy replicas on members not dead.', ['service'],
    (s) => services(s).map((x) => [{ service: x.service }, x.healthy]))
  counter('meshd_service_restarts_total', 'Replicas of the service that failed on this node (exited or unhealthy) and were handed to the restart policy.', ['service'],
    (s) => services(s).map((x) => [{ service: x.service }, x.restarts]))
  gauge('meshd_service_rollout_phase', 'The phase of the service\'s last rollout: 1 for the current phase, 0 for the others.', ['service', 'phase'],
    (s) => services(s).flatMap((x) => x.rollout === undefined ? [] : ROLLOUT_PHASES.map((phase) => [{ service: x.service, phase }, phase === x.rollout ? 1 : 0] as const)))

  const mesh = (s: Scrape) => s.mesh
  counter('meshd_mesh_connections_total', 'Client connections this node\'s mesh accepted for the service (published ports, service addresses, hops from other nodes).', ['service'],
    (s) => mesh(s).map((x) => [{ service: x.service }, x.connections.total]))
  gauge('meshd_mesh_active_connections', 'Client connections of the service open at this node\'s mesh now.', ['service'],
    (s) => mesh(s).map((x) => [{ service: x.service }, x.connections.active]))
  counter('meshd_mesh_received_bytes_total', 'Bytes from clients to the service\'s replicas through this node (counted when a connection closes).', ['service'],
    (s) => mesh(s).map((x) => [{ service: x.service }, x.bytesIn]))
  counter('meshd_mesh_sent_bytes_total', 'Bytes from the service\'s replicas to clients through this node (counted when a connection closes).', ['service'],
    (s) => mesh(s).map((x) => [{ service: x.service }, x.bytesOut]))
  counter('meshd_mesh_errors_total', 'Failed connects, resets and connections with no endpoint, for the service at this node.', ['service'],
    (s) => mesh(s).map((x) => [{ service: x.service }, x.errors]))
  counter('meshd_mesh_retries_total', 'Connections this node retried on another replica of the service.', ['service'],
    (s) => mesh(s).map((x) => [{ service: x.service }, x.retries]))
  counter('meshd_mesh_refused_total', 'Connections closed at once because this node\'s connection cap was reached.', ['service'],
    (s) => mesh(s).map((x) => [{ service: x.service }, x.refused]))
  counter('meshd_mesh_denied_total', 'Connections the service\'s allowFrom policy refused, by source service ("external" from outside).', ['service', 'source'],
    (s) => mesh(s).flatMap((x) => Object.entries(x.denied).map(([source, n]) => [{ service: x.service, source }, n] as const)))
  const routes = (s: Scrape) => s.ingress.routes
  const routeOf = (r: { host: string, path: string, service: string }) => ({ host: r.host, path: r.path, service: r.service })
  counter('meshd_ingress_requests_total', 'Requests this node\'s ingress answered for the route, by status class ("2xx"); upgrades count as 1xx.', ['host', 'path', 'service', 'code'],
    (s) => routes(s).flatMap((r) => Object.entries(r.requests).map(([code, n]) => [{ ...routeOf(r), code }, n] as const)))
  counter('meshd_ingress_received_bytes_total', 'Request body bytes from clients of the route through this node\'s ingress.', ['host', 'path', 'service'],
    (s) => routes(s).map((r) => [routeOf(r), r.bytesIn]))
  counter('meshd_ingress_sent_bytes_total', 'Response body bytes to clients of the route through this node\'s ingress.', ['host', 'path', 'service'],
    (s) => routes(s).map((r) => [routeOf(r), r.bytesOut]))
  counter('meshd_ingress_retries_total', 'Requests of the route this node\'s ingress sent again after a connection failed before any response byte.', ['host', 'path', 'service'],
    (s) => routes(s).map((r) => [routeOf(r), r.retries]))
  counter('meshd_ingress_unrouted_total', 'Requests this node\'s ingress answered 404: no route for their host and path.', [], (s) => [[{}, s.ingress.unrouted]])
  histogram('meshd_mesh_connect_duration_seconds', 'Time from dialling a replica (or another node\'s mesh port) to the connection being open.',
    (s) => mesh(s).map((x) => ({ labels: { service: x.service }, bounds: x.connect.boundsMs.map((ms) => ms / 1000), counts: x.connect.counts, sum: x.connect.sumMs / 1000 })))

  gauge('meshd_members', 'Members of the cluster by the failure detector\'s verdict on this node.', ['state'],
    (s) => Object.entries(s.members).map(([state, n]) => [{ state }, n]))
  counter('meshd_gossip_beats_sent_total', 'Heartbeat digests this node sent (pushes and replies).', [], (s) => [[{}, s.gossip.beats.sent]])
  counter('meshd_gossip_beats_received_total', 'Heartbeat digests this node received (pushes and replies).', [], (s) => [[{}, s.gossip.beats.received]])
  counter('meshd_gossip_pulses_sent_total', 'Signed UDP heartbeats this node\'s pulse worker sent (each to every member).', [], (s) => [[{}, s.gossip.pulses.sent]])
  counter('meshd_gossip_pulses_received_total', 'UDP heartbeats this node received from members (taken or refused).', [], (s) => [[{}, s.gossip.pulses.received]])
  counter('meshd_gossip_sync_received_bytes_total', 'Document diff bytes this node received and applied in sync rounds.', [], (s) => [[{}, s.gossip.sync.bytesIn]])
  counter('meshd_gossip_sync_sent_bytes_total', 'Document diff bytes this node sent in sync rounds.', [], (s) => [[{}, s.gossip.sync.bytesOut]])
  counter('meshd_gossip_updates_published_total', 'Document updates this node published to its members.', [], (s) => [[{}, s.gossip.replication.published]])
  counter('meshd_gossip_updates_received_total', 'Document updates this node received from members and applied.', [], (s) => [[{}, s.gossip.replication.received]])
  gauge('meshd_document_bytes', 'The encoded size of this node\'s copy of the cluster document.', [], (s) => [[{}, s.documentBytes]])
  histogram('meshd_reconcile_duration_seconds', 'How long each tick of this node\'s reconcile loop took.',
    (s) => [{ labels: {}, bounds: s.reconcile.bounds, counts: s.reconcile.counts, sum: s.reconcile.sum }])

  counter('meshd_replica_cpu_seconds_total', 'CPU time of this node\'s replica since its container started (its cgroup).', ['service', 'slot', 'container'],
    (s) => s.replicas.map((r) => [{ service: r.service, slot: r.slot, container: r.container }, r.cpuSeconds]))
  gauge('meshd_replica_memory_bytes', 'Memory of this node\'s replica, less its inactive page cache (as docker stats counts it).', ['service', 'slot', 'container'],
    (s) => s.replicas.map((r) => [{ service: r.service, slot: r.slot, container: r.container }, r.memoryBytes]))
}

/** A histogram whose counts live elsewhere, in the shape prom-client's Registry renders (cumulative buckets, sum, count). */
function histogramMetric (name: string, help: string, read: () => HistogramSample[]): Parameters<Registry['registerMetric']>[0] {
  const get = async () => ({
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    values: read().flatMap(({ labels, bounds, counts, sum }) => {
      let cumulative = 0
      const buckets = bounds.map((bound, i) => {
        cumulative += counts[i] ?? 0
        return { metricName: `${name}_bucket`, labels: { ...labels, le: bound }, value: cumulative }
      })
      const count = cumulative + (counts[bounds.length] ?? 0)
      return [
        ...buckets,
        { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count },
        { metricName: `${name}_sum`, labels, value: sum },
        { metricName: `${name}_count`, labels, value: count }
      ]
    })
  })
  return { name, help, type: 'histogram', get } as unknown as Parameters<Registry['registerMetric']>[0]
}
