// Live progress of a service converging: polls the API and redraws one line per
// service until every desired replica is healthy on the current generation.

import type { ServiceView } from '../api/index.ts'
import { ApiError } from './client.ts'
import type { ApiClient } from './client.ts'

export interface WaitOptions {
  timeoutMs: number
  out: NodeJS.WriteStream | NodeJS.WritableStream
  quiet?: boolean
  signal?: AbortSignal
}

/** True when a service runs exactly its desired replicas, all healthy and on the current generation. */
export function converged (view: ServiceView): boolean {
  const rolling = view.rollout !== undefined && view.rollout.generation === view.generation && view.rollout.phase === 'rolling'
  return !rolling && view.status.updated === view.status.desired && view.replicas.length === view.status.desired
}

/** " rolling update 2/6" and the like while a rollout is running, paused or was rolled back. */
function rolloutNote (view: ServiceView): string {
  const r = view.rollout
  if (r === undefined || r.generation !== view.generation) return ''
  const what = r.rollback ? 'rollback' : 'update'
  if (r.phase === 'rolling') return `, rolling ${what} ${r.updated}/${r.total}${r.failures > 0 ? `, ${r.failures} failed` : ''}`
  if (r.phase === 'paused') return `, ${what} paused: ${r.reason ?? ''}`
  if (r.rollback && r.reason !== undefined) return `, rolled back: ${r.reason}`
  return ''
}

/** One line describing a service's progress, with a bar and the first replica error. */
export function progressLine (view: ServiceView, elapsedMs: number): string {
  const { desired, updated } = view.status
  const width = 20
  const filled = desired === 0 ? width : Math.round(width * Math.min(updated, desired) / desired)
  const surplus = view.replicas.length > desired ? `, removing ${view.replicas.length - desired}` : ''
  const error = view.replicas.find((r) => r.error !== undefined && r.state !== 'healthy')
  const unplaced = view.unplaced?.[0]
  const note = unplaced !== undefined
    ? `  ${view.unplaced.length} unplaced: ${unplaced.reason}`
    : error === undefined ? '' : `  slot ${error.slot}: ${error.state}: ${error.error}`
  return `${view.spec.name}  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.min(updated, desired)}/${desired} healthy (generation ${view.generation}${surplus}${rolloutNote(view)})  ${(elapsedMs / 1000).toFixed(1)}s${note}`
}

/** Waits until every named service converges (or is gone when `gone`); throws on timeout with the last state. */
export async function waitForServices (client: ApiClient, names: string[], opts: WaitOptions & { gone?: boolean }): Promise<ServiceView[]> {
  const start = Date.now()
  const tty = 'isTTY' in opts.out && opts.out.isTTY === true
  let lastText = ''
  for (;;) {
    const views = await Promise.all(names.map(async (name) => await fetchView(client, name, opts.gone === true)))
    const lines = views.map((view, i) => view === undefined ? `${names[i]}  removed` : progressLine(view, Date.now() - start))
    const text = lines.join('\n')
    if (opts.quiet !== true && text !== lastText) {
      if (tty && lastText !== '') opts.out.write(`\x1b[${lastText.split('\n').length}F\x1b[J`)
      opts.out.write(tty ? `${text}\n` : `${lines.filter((line, i) => line !== lastText.split('\n')[i]).join('\n')}\n`)
      lastText = text
    }
    const done = views.every((view) => opts.gone === true ? view === undefined || view.replicas.length === 0 : view !== undefined && converged(view))
    if (done) return views.filter((view): view is ServiceView => view !== undefined)
    if (Date.now() - start > opts.timeoutMs) {
      throw new Error(`timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${names.join(', ')}:\n${text}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
    opts.signal?.throwIfAborted()
  }
}

async function fetchView (client: ApiClient, name: string, gone: boolean): Promise<ServiceView | undefined> {
  try {
    return await client.get<ServiceView>(`/v1/services/${encodeURIComponent(name)}`)
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      if (gone) {
        const replicas = await client.get<unknown[]>(`/v1/replicas?service=${encodeURIComponent(name)}`)
        return replicas.length === 0 ? undefined : { spec: { name }, replicas, status: { desired: 0, healthy: 0, updated: 0 }, generation: 0 } as unknown as ServiceView
      }
    }
    throw err
  }
}
