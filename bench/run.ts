// `npm run bench`: every measurement side by side in one run, written to BENCHMARKS.md.

import { execFileSync } from 'node:child_process'
import { cpus, totalmem } from 'node:os'
import { readFileSync, writeFileSync } from 'node:fs'
import { benchColdLoad } from './crdt.ts'
import { benchDeploy } from './deploy.ts'
import { benchDetection, benchPropagation, benchStarvation } from './cluster.ts'
import { benchGossip } from './gossip.ts'
import { benchPlacement } from './placement.ts'
import { benchMesh } from './mesh.ts'
import { benchIngress, ingressSection } from './ingress.ts'
import { benchDns } from './dns.ts'
import { benchServiceToService } from './s2s.ts'
import { benchFailover, benchRollingUpdate } from './failover.ts'
import { benchVolumeMove } from './volumes.ts'
import { benchAutoscale } from './autoscale.ts'
import type { FailoverResult, Stats } from './failover.ts'
import type { LoadResult } from './mesh.ts'

const say = (line: string): void => { process.stderr.write(`[bench] ${line}\n`) }

async function main (): Promise<void> {
  const sections: string[] = []
  // `npm run bench -- autoscale mesh`: only those sections, each replacing its own in BENCHMARKS.md.
  const only = process.argv.slice(2)
  const want = (key: string): boolean => only.length === 0 || only.includes(key)
  // Each section is written as soon as it is measured: a later failure keeps the earlier ones.
  const push = sections.push.bind(sections)
  sections.push = (...items: string[]): number => {
    const n = push(...items)
    writeFileSync('BENCHMARKS.md', only.length === 0 ? `${[header(), ...sections].join('\n\n')}\n` : spliced(readFileSync('BENCHMARKS.md', 'utf8'), sections))
    return n
  }

  if (want('deploy')) {
    say('deploy: PUT → healthy against a docker run loop')
    const { deploys, idleRssMb } = await benchDeploy([1, 5, 20], 3, say)
    sections.push([
      '## Deploy: PUT → all replicas healthy, against `docker run` in a loop',
      '',
      'busybox httpd, tcp health check; median of 3 runs each. "docker run loop" runs `docker run -d -p` N times',
      'then waits until every published port answers (the same readiness meshd\'s probe checks), on a user-defined',
      'bridge as Compose does (meshd\'s replicas are on one too) and, for reference, on Docker\'s default bridge, where',
      'a container starts ~170 ms sooner (no embedded DNS). Goal: ratio ≤ 1.2.',
      '',
      '| replicas | meshd PUT → healthy | docker run loop, user-defined bridge | docker run loop, default bridge | ratio meshd / docker (user-defined) |',
      '|---:|---:|---:|---:|---:|',
      ...deploys.map((d) => `| ${d.replicas} | ${d.meshdMs} ms | ${d.dockerRunReadyMs} ms | ${d.dockerRunMs} ms | ${d.ratio}× |`),
      '',
      `Idle daemon RSS, one service of three replicas (busybox httpd, TCP health every second) healthy for 30 s: **${idleRssMb} MB** (goal ≤ 80 MB). ` +
        'Of it, the pulse thread (issue 11) is ~15 MB (a second V8 isolate and Node environment) and the node binary\'s own pages ~43 MB; the daemon loads ~2.0 MB of bundle, not 3.8 MB (chunks loaded on first use: 84.0 MB against 88.2 MB side by side, 2026-12-03).'
    ].join('\n'))
  }

  if (want('crdt')) {
    say('cluster document: cold load after 100k updates')
    const clean = await benchColdLoad({ updates: 100_000 })
    const crashed = await benchColdLoad({ updates: 100_000, crash: true })
    sections.push([
      '## Cluster document: cold load with 100k updates in its history',
      '',
      'Goal ≤ 150 ms. Median of 5 loads; "after a crash" leaves the update log to replay.',
      '',
      '| case | snapshot | log | load (median) | first load |',
      '|---|---:|---:|---:|---:|',
      `| after a clean stop | ${kb(clean.snapshotBytes)} | ${kb(clean.logBytes)} | ${clean.loadMs} ms | ${clean.firstLoadMs} ms |`,
      `| after a crash | ${kb(crashed.snapshotBytes)} | ${kb(crashed.logBytes)} | ${crashed.loadMs} ms | ${crashed.firstLoadMs} ms |`
    ].join('\n'))
  }

  if (want('cluster')) {
    say('cluster: propagation, failure detection, CPU starvation (real daemons)')
    const propagation = [await benchPropagation(3, 100, say), await benchPropagation(5, 100, say)]
    const detection = await benchDetection(5, 8, say)
    const starvation = await benchStarvation(20, say)
    const starvationAll = await benchStarvation(20, say, 'all')
    sections.push([
      '## Cluster state: propagation and failure detection (real daemons, one process each)',
      '',
      'Propagation: a PUT on one node (round robin) until a GET on every other node returns it; the readers poll',
      'every 2 ms, so the figures include HTTP round trips. Goal ≤ 300 ms p99 at 5 nodes.',
      '',
      '| nodes | writes | p50 | p99 | max |',
      '|---:|---:|---:|---:|---:|',
      ...propagation.map((p) => `| ${p.nodes} | ${p.writes} | ${p.p50} ms | ${p.p99} ms | ${p.max} ms |`),
      '',
      `Failure detection, SIGKILL → dead on every survivor (5 nodes, ${detection.kills} kills): p50 ${detection.p50} ms, ` +
        `p99 ${detection.p99} ms, max ${detection.max} ms. Goal ≤ 3 s p99.`,
      '',
      `CPU starvation: one node at nice 19 while two busy loops at nice 0 hold both cores for ${starvation.seconds} s: ` +
        `${starvation.suspects} suspicions, **${starvation.deaths} false deaths**; the starved node itself declared ` +
        `${starvation.starvedSuspects} suspicions and ${starvation.starvedDeaths} deaths of the healthy nodes. ` +
        '`renice -p` changes only the main thread (its pulse worker keeps nice 0); with every thread at nice 19: ' +
        `${starvationAll.suspects} suspicions, **${starvationAll.deaths} false deaths**.`
    ].join('\n'))
  }

  if (want('mesh')) {
    say('routing mesh: direct, meshd and HAProxy over the same replicas (wrk)')
    const mesh = await benchMesh(say)
    const row = (name: string, r: LoadResult): string =>
      `| ${name} | ${r.p50Ms} ms | ${r.p99Ms} ms | ${Math.round(r.connsPerSec)} | ${Math.round(r.bulkMBps)} MB/s |`
    sections.push([
      '## Routing mesh: direct, through meshd, through HAProxy',
      '',
      'One node, three busybox httpd replicas; wrk (one thread) on the same two cores. Direct is one replica\'s address',
      'on the node\'s replica network (no proxy); meshd (the published port) and HAProxy 2.6 (TCP mode, leastconn, one thread) balance',
      'over all three. Latency: one connection at a time, small GET; new connections/s: 16 concurrent, one small GET per',
      'connection (busybox closes after each answer); bulk: 4 concurrent GETs of a 64 MiB file. Median of 3 interleaved rounds.',
      '',
      '| path | p50 | p99 | new connections/s | bulk |',
      '|---|---:|---:|---:|---:|',
      row('direct', mesh.direct),
      row('meshd', mesh.meshd),
      row('HAProxy', mesh.haproxy),
      '',
      `meshd added p50 latency: **${ratio(mesh.meshd.p50Ms, mesh.direct.p50Ms)}× direct** (goal ≤ 1.5); throughput **${ratio(mesh.meshd.bulkMBps, mesh.haproxy.bulkMBps)}× HAProxy** ` +
        `(goal ≥ 0.8); new connections/s **${ratio(mesh.meshd.connsPerSec, mesh.haproxy.connsPerSec)}× HAProxy** (goal ≥ 0.8). meshd peak RSS during the run: ${mesh.meshdRssMb} MB.`
    ].join('\n'))
  }

  if (want('ingress')) {
    say('HTTP ingress: meshd against Caddy over the same replicas, HTTP and HTTPS (wrk)')
    sections.push(ingressSection(await benchIngress(say)))
  }

  if (want('s2s')) {
    say('service to service: through the service address against a direct container-to-container connection')
    const s2s = await benchServiceToService(say)
    say('dns: a steady 1,000 queries/s, then the most it answers')
    const dns = await benchDns(say)
    sections.push([
      '## Service to service, and the names replicas resolve',
      '',
      'A client replica reaching another service through its service address (the mesh listener on the node\'s replica',
      'network, dialling the replica directly), against the same client and server containers on a plain Docker bridge.',
      'wrk in a container (the host\'s binary imported as an image), one connection at a time, small GET to busybox httpd',
      '(a new connection per request); median of 3 interleaved rounds of 5 s.',
      '',
      '| path | p50 | p99 |',
      '|---|---:|---:|',
      `| direct, container to container | ${s2s.direct.p50Ms} ms | ${s2s.direct.p99Ms} ms |`,
      `| through the service address | ${s2s.mesh.p50Ms} ms | ${s2s.mesh.p99Ms} ms |`,
      '',
      `Service address p50: **${ratio(s2s.mesh.p50Ms, s2s.direct.p50Ms)}× direct** (goal ≤ 1.5).`,
      '',
      `DNS (the node's server, a table of 100 services × 3 slots; names that answer, NXDOMAIN and NODATA): ${dns.rate} queries/s ` +
        `for 10 s from four client addresses, ${dns.answered} of ${dns.sent} answered, p50 ${dns.p50Ms} ms, **p99 ${dns.p99Ms} ms** ` +
        `(goal ≤ 5 ms), max ${dns.maxMs} ms; server loop delay p99 ${dns.serverLoop.delayP99Ms} ms. ` +
        `At most ${Math.round(dns.maxQps)} queries/s answered on one thread (closed loop, no per-source rate).`
    ].join('\n'))
  }

  if (want('failover')) {
    say('failover: crash a node under a request loop, 10 runs on 3 and on 5 nodes')
    const failovers = [await benchFailover(3, 10, say), await benchFailover(5, 10, say)]
    say('rolling update of 6 replicas against docker run one after another')
    const rolling = await benchRollingUpdate(say)
    const stage = (f: FailoverResult, key: 'detected' | 'healthy' | 'routed'): string => `${f[key].p50} / ${f[key].p99} / ${f[key].max} ms`
    sections.push([
      '## Failover and rolling updates (real daemons, real containers)',
      '',
      'A request loop through one node\'s mesh while another node running a replica is SIGKILLed and its containers',
      'removed (a machine crash); times from the kill, p50 / p99 / max over the runs. Goal: routed ≤ 5 s p99',
      '(Swarm ≈ 20 s, Nomad ≈ 20–30 s, Kubernetes ≈ 6 min by default).',
      '',
      '| nodes | runs | declared dead | replacement healthy | first request routed to it | failed requests |',
      '|---:|---:|---:|---:|---:|---:|',
      ...failovers.map((f) => `| ${f.nodes} | ${f.runs} | ${stage(f, 'detected')} | ${stage(f, 'healthy')} | ${stage(f, 'routed')} | ${f.failedRequests} of ${f.requests} |`),
      '',
      `Rolling update of ${rolling.replicas} replicas on 3 nodes (env change, parallelism 1, start-first, monitor 0s) under a request loop: ` +
        `**${rolling.rolloutMs} ms**, against ${rolling.dockerSequentialMs} ms for \`docker run\` of the same containers one after another until each answers ` +
        `— **${rolling.ratio}×**; ${rolling.failedRequests} of ${rolling.requests} requests failed.`
    ].join('\n'))
  }

  if (want('autoscale')) {
    say('autoscale: 200 new connections/s against requestsPerSecond 50, 5 runs on 3 nodes')
    const as = await benchAutoscale(5, say)
    const cell = (x: Stats): string => `${x.p50} / ${x.p99} / ${x.max} ms`
    sections.push([
      '## Autoscaling: load start → new replicas serving (real daemons)',
      '',
      'Three nodes; a busybox httpd service with `autoscale {min 1, max 5, requestsPerSecond: 50}`; a paced load of 200 new',
      'connections per second through node 1\'s mesh starts; times from the load\'s start, p50 / p99 / max over the runs (the',
      'service back to 1 replica between runs). "Decided": the coordinator raised the count; "first new replica serving":',
      'the first answer from a replica that was not there before the load (to the load, or to a probe of one GET at a time',
      'beside it, which does not queue behind the overloaded first replica); "4 serving": answers from 4 distinct replicas.',
      'The Kubernetes HPA acts on a 15 s loop over metrics that metrics-server scrapes every 15 s (60 s by default on many',
      'clusters), so its first decision comes 15–30 s after a load change, before any pod starts. Goal: ≤ 15 s p50.',
      '',
      '| runs | decided | first new replica serving | 4 serving | failed requests |',
      '|---:|---:|---:|---:|---:|',
      `| ${as.runs} | ${cell(as.decided)} | ${cell(as.firstNew)} | ${cell(as.fourServing)} | ${as.failed} of ${as.sent} |`,
      '',
      `Load start → new replicas serving: **${as.firstNew.p50} ms p50** (goal ≤ 15 s); all four serving: ${as.fourServing.p50} ms p50.`
    ].join('\n'))
  }

  if (want('volumes')) {
    say('stateful: a drain moves a replica with a 100 MiB volume, against a docker run tar copy')
    const move = await benchVolumeMove(say)
    sections.push([
      '## Stateful: a drain moves a replica and its 100 MiB volume',
      '',
      'Two nodes; one replica (busybox, exits on SIGTERM) with one volume holding 100 MiB from /dev/urandom. A drain',
      'of its node, back and forth, 3 runs: the old node stops the replica and releases the data, the new one pulls the',
      'volume through the transfer channel (GNU tar out of and into the volumes\' directories when the daemon is root, else Docker\'s archive API; AES-GCM frames and SHA-256 between them; a forced young-generation collection per MiB moved, src/node/transfer/young-gc.ts),',
      'then starts and health-checks the replica. "total" is the drain request → the replica healthy on the other node;',
      '"copy" the pull and import alone, as the new node logs it. "tar" copies the same 100 MiB between two volumes on this',
      'machine with `docker run --rm -v A:/a -v B:/b busybox sh -c \'cd /a && busybox tar cf - . | busybox tar xf - -C /b\'`, between the runs.',
      'Goal: copy ≤ 1.5× tar.',
      '',
      '| run | total | copy | tar |',
      '|---:|---:|---:|---:|',
      ...move.runs.map((r, i) => `| ${i + 1} | ${r.totalMs} ms | ${r.copyMs} ms | ${r.tarMs} ms |`),
      `| median | ${move.totalMs} ms | ${move.copyMs} ms | ${move.tarMs} ms |`,
      '',
      `Copy / tar: **${move.copyOverTar}×** (goal ≤ 1.5); total / tar: ${move.totalOverTar}×.`
    ].join('\n'))
  }

  if (want('placement')) {
    say('placement: 10k slots × 100 nodes')
    const placement = await benchPlacement()
    sections.push([
      '## Placement: 10,000 slots on 100 nodes (321 services)',
      '',
      `Time to place everything: **${placement.ms} ms** median on equal nodes, ${placement.weightedMs} ms on nodes of 2–16 cpus, ` +
        `${placement.firstMs} ms for the first (cold) run. Goal ≤ 50 ms.`,
      '',
      '| | bounded load (1.25) | plain HRW |',
      '|---|---:|---:|',
      `| busiest node / average | ${placement.maxOverAvg} | ${placement.plainMaxOverAvg} |`,
      `| moved on a join / ideal 1/(N+1) | ${placement.joinMovedOverIdeal}× | ${placement.plainJoinMovedOverIdeal}× |`,
      `| moved on a leave / ideal (the leaver's slots) | ${placement.leaveMovedOverIdeal}× | ${placement.plainLeaveMovedOverIdeal}× |`,
      '',
      'Goals: ≤ 1.1× ideal with plain HRW, ≤ 1.3× with bounded load. Moves are counted as the daemon makes them:',
      'place() fixes how many replicas of each service every node holds, and settle() keeps every running replica',
      'where it is while its node\'s count allows, so only the newcomer\'s share (or the leaver\'s replicas) move.'
    ].join('\n'))
  }

  if (want('gossip')) {
    say('gossip layer in one process: detector traffic and propagation as the cluster grows')
    const scale: Awaited<ReturnType<typeof benchGossip>> = []
    let limit = ''
    for (const size of [3, 5, 10, 16, 24]) {
      try {
        scale.push(...await benchGossip([size], say))
      } catch (err) {
        limit = `At ${size} nodes in one process the mesh did not form: ${(err as Error).message.split(':')[0]} ` +
          '(every node shares one event loop on two cores, so dials and beats time out; separate processes or machines do not share that limit).'
        say(limit)
        break
      }
    }
    sections.push([
      '## Gossip layer as the cluster grows (all nodes in one process, real libp2p over TCP on loopback)',
      '',
      'Detector traffic per node per second stays flat (each beat goes to a fixed fanout of peers) where',
      'all-to-all heartbeats grow with N. One process carries every node, so propagation here includes',
      'the contention of N libp2p stacks on two cores.',
      '',
      '| nodes | beats sent /node/s | beats received /node/s | all-to-all would send /node/s | digest bytes | propagation median | p95 | max |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...scale.map((r) => `| ${r.nodes} | ${r.beatsSentPerNodeSec} | ${r.beatsReceivedPerNodeSec} | ${r.allToAllPerNodeSec} | ${r.digestBytes} | ${r.propagationMs.median} ms | ${r.propagationMs.p95} ms | ${r.propagationMs.max} ms |`),
      ...(limit === '' ? [] : ['', limit]),
      '',
      'Stops at 24: every node of this run shares one process and one event loop on two cores.'
    ].join('\n'))
  }

  if (only.length === 0) writeFileSync('BENCHMARKS.md', `${[header(), ...sections].join('\n\n')}\n`)
  say('wrote BENCHMARKS.md')
}

function header (): string {
  const docker = execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' }).trim()
  return [
    '# meshd benchmarks',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Docker Engine ${docker}.`,
    'Every comparison is measured side by side in the same run.'
  ].join('\n')
}

/** `text` (BENCHMARKS.md) with each of `sections` in place of the section of the same title, or appended. */
function spliced (text: string, sections: string[]): string {
  let out = text.trimEnd()
  for (const section of sections) {
    const title = section.split('\n')[0]!
    const at = out.indexOf(`\n${title}\n`)
    if (at < 0) { out = `${out}\n\n${section}`; continue }
    const next = out.indexOf('\n## ', at + title.length + 1)
    out = `${out.slice(0, at + 1)}${section}${next < 0 ? '' : `\n${out.slice(next)}`}`
  }
  return `${out}\n`
}

function kb (bytes: number): string {
  return `${Math.round(bytes / 1024)} KiB`
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack}\n`)
  process.exit(1)
})

function ratio (a: number, b: number): number {
  return b === 0 ? 0 : Math.round((a / b) * 100) / 100
}
