// Autoscaling on real daemons: 3 nodes, one service `autoscale {min 1, max 5,
// requestsPerSecond: 50}`, a load of 200 new connections per second through node 1's mesh.
// Per run, from the load's start: the coordinator's decision to scale up (the service's
// replicas raised), the first answer (to the load or to a probe beside it) from a replica
// that did not exist before the load, and answers from 4 distinct replicas. Then the load stops and the service goes back to
// 1 after its 10 s scale-down window before the next run.
// Run directly: node bench/autoscale.ts

import { api, cleanupAll, IMAGE, waitFor } from '../test/support/daemon.ts'
import { percentile, startCluster, waitForMembers } from '../test/support/cluster.ts'
import { get, pacedLoad } from '../test/support/mesh.ts'
import type { Stats } from './failover.ts'

const HOSTS = ['127.0.0.151', '127.0.0.152', '127.0.0.153']
const PORT = 18150

export interface AutoscaleResult { runs: number, decided: Stats, firstNew: Stats, fourServing: Stats, failed: number, sent: number }

interface View { spec: { replicas: number }, replicas: Array<{ state: string }> }

function stats (values: number[]): Stats {
  return { p50: Math.round(percentile(values, 50)), p99: Math.round(percentile(values, 99)), max: Math.round(Math.max(...values)) }
}

export async function benchAutoscale (runs = 5, progress: (line: string) => void = () => {}): Promise<AutoscaleResult> {
  const nodes = await startCluster('test-bas', HOSTS)
  const decided: number[] = []
  const firstNew: number[] = []
  const fourServing: number[] = []
  let failed = 0
  let sent = 0
  const view = async (): Promise<View> => (await api<View>(nodes[0]!.api, 'GET', '/v1/services/as')).body
  try {
    await Promise.all(nodes.map(async (n) => { await waitForMembers(n, Object.fromEntries(nodes.map((m) => [m.name, 'alive']))) }))
    const put = await api(nodes[0]!.api, 'PUT', '/v1/services/as', {
      name: 'as',
      image: IMAGE,
      // Each replica answers with its own hostname (as-SLOT).
      command: ['sh', '-c', 'echo -n $HOSTNAME > /www/id; exec httpd -f -p 8080 -h /www'],
      ports: [{ published: PORT, target: 8080 }],
      health: { type: 'tcp', interval: '200ms', retries: 2 },
      autoscale: { min: 1, max: 5, requestsPerSecond: 50, scaleDown: { window: '10s' } }
    })
    if (put.status !== 201) throw new Error(`PUT as: ${put.status} ${JSON.stringify(put.body)}`)
    for (let run = 0; run < runs; run++) {
      await waitFor(async () => { const v = await view(); return v.spec.replicas === 1 && v.replicas.length === 1 && v.replicas[0]!.state === 'healthy' }, { timeoutMs: 90_000, what: 'as back to 1 healthy replica' })
      // The replicas scaled away may still answer while they drain: wait until one replica answers alone.
      const before = await waitFor(async () => {
        const bodies = new Set<string>()
        for (let i = 0; i < 20; i++) bodies.add((await get(HOSTS[0]!, PORT, '/id')).body)
        return bodies.size === 1 ? [...bodies][0] : undefined
      }, { timeoutMs: 60_000, what: 'one replica answering alone' })
      const began = Date.now()
      const answeredBy = new Map<string, number>()
      const answered = (body: string): void => { if (!answeredBy.has(body)) answeredBy.set(body, Date.now()) }
      const load = pacedLoad(HOSTS[0]!, PORT, 200, '/id', answered)
      // A probe of its own beside the load, one GET at a time with a short timeout: the load's
      // GETs queue behind the overloaded first replica (at most 200 in flight), the probe's do not.
      let probing = true
      const probe = (async () => {
        while (probing) {
          const answer = await get(HOSTS[0]!, PORT, '/id', 1000)
          if (answer.ok) answered(answer.body)
        }
      })()
      try {
        await waitFor(async () => (await view()).spec.replicas > 1 || undefined, { timeoutMs: 30_000, intervalMs: 50, what: 'a scale-up decision' })
        decided.push(Date.now() - began)
        await waitFor(() => answeredBy.size >= 4 || undefined, { timeoutMs: 60_000, intervalMs: 50, what: 'answers from 4 replicas' })
      } finally {
        probing = false
        await probe
        const result = await load.stop()
        failed += result.sent - result.ok
        sent += result.sent
      }
      const fresh = [...answeredBy.entries()].filter(([body]) => body !== before).map(([, at]) => at - began).sort((a, b) => a - b)
      firstNew.push(fresh[0]!)
      fourServing.push(fresh[2]!)
      progress(`autoscale run ${run + 1}: decided ${decided.at(-1)} ms, first new replica serving ${firstNew.at(-1)} ms, 4 serving ${fourServing.at(-1)} ms`)
    }
    return { runs, decided: stats(decided), firstNew: stats(firstNew), fourServing: stats(fourServing), failed, sent }
  } finally {
    await cleanupAll()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchAutoscale(Number(process.argv[2] ?? 5), (line) => { process.stderr.write(`${line}\n`) })
    .then((result) => { process.stdout.write(`${JSON.stringify(result)}\n`) })
    .catch((err: unknown) => { process.stderr.write(`${(err as Error).stack}\n`); process.exit(1) })
}
