// The dashboard's panels, each rebuilt whole from the API's answers on every refresh
// (replaceChildren: the page stays as small as the cluster). Text only: see dom.js.

import { bytes, clock, h } from './dom.js'
import { trafficChart } from './chart.js'

/** Members: name, address, state (and since when this page saw it), draining, labels, how many replicas run there. */
export function renderMembers (tbody, members, services, since) {
  const running = new Map()
  for (const service of services) for (const r of service.replicas ?? []) running.set(r.node, (running.get(r.node) ?? 0) + 1)
  tbody.replaceChildren(...members.map((m) => h('tr', { 'data-member': m.name, 'data-state': m.state, 'data-state-since': since.get(m.name) },
    h('td', {}, h('span', { class: 'name' }, m.name)),
    h('td', { class: 'mono' }, m.host),
    h('td', {}, h('span', { class: `badge state-${m.state}`, title: since.has(m.name) ? `${m.state} since ${clock(since.get(m.name))}` : undefined }, m.state)),
    h('td', {}, m.draining ? h('span', { class: 'badge state-suspect' }, 'draining') : ''),
    h('td', { class: 'labels' }, Object.entries(m.labels ?? {}).map(([k, v]) => h('span', { class: 'label' }, `${k}=${v}`))),
    h('td', { class: 'num' }, String(running.get(m.name) ?? 0)))))
}

/** Services: image, healthy of desired, and each member's replicas by slot and state. */
export function renderServices (table, services, members) {
  const dead = new Set(members.filter((m) => m.state === 'dead').map((m) => m.name))
  const head = h('thead', {}, h('tr', {}, h('th', {}, 'Service'), h('th', {}, 'Image'), h('th', {}, 'Healthy'),
    members.map((m) => h('th', { class: 'member-col', 'data-member-col': m.name }, m.name)), h('th', {}, 'Ports')))
  const rows = services.map((s) => {
    const status = s.status ?? { desired: 0, healthy: 0 }
    const unplaced = s.unplaced ?? []
    return h('tr', { 'data-service': s.spec.name, 'data-desired': status.desired, 'data-healthy': status.healthy },
      h('td', {}, h('span', { class: 'name' }, s.spec.name), s.spec.stack ? h('span', { class: 'label' }, `stack ${s.spec.stack}`) : null),
      h('td', { class: 'mono' }, s.spec.image),
      h('td', {},
        h('span', { class: `count ${status.healthy < status.desired ? 'short' : 'ok'}` }, `${status.healthy}/${status.desired}`),
        unplaced.length === 0 ? null : h('span', { class: 'note', title: unplaced.map((u) => `slot ${u.slot}: ${u.reason}`).join('\n') }, `${unplaced.length} unplaced`)),
      members.map((m) => h('td', { class: 'replicas', 'data-node': m.name },
        (s.replicas ?? []).filter((r) => r.node === m.name).map((r) => h('span', {
          class: `replica state-${r.state}${dead.has(r.node) ? ' stale' : ''}`,
          title: `${s.spec.name}.${r.slot}@${r.node}: ${r.state}, generation ${r.generation}${r.error ? `: ${r.error}` : ''}`
        }, String(r.slot))))),
      h('td', { class: 'mono' }, (s.spec.ports ?? []).map((p) => `${p.published}:${p.target}`).join(' ')))
  })
  table.replaceChildren(head, h('tbody', {}, rows.length > 0 ? rows : h('tr', {}, h('td', { class: 'empty', colspan: members.length + 4 }, 'No services yet.'))))
}

/** Rollouts: the latest of each service, newest first, with a progress bar. */
export function renderRollouts (container, services) {
  const rollouts = services.filter((s) => s.rollout !== undefined).sort((a, b) => b.rollout.updatedAt - a.rollout.updatedAt).slice(0, 8)
  container.replaceChildren(...(rollouts.length === 0
    ? [h('p', { class: 'empty' }, 'No rollouts yet.')]
    : rollouts.map(({ spec, rollout: r }) => h('div', { class: 'rollout', 'data-rollout': spec.name, 'data-phase': r.phase },
      h('span', { class: 'name' }, spec.name),
      h('span', { class: `badge phase-${r.phase}` }, r.rollback ? `${r.phase} (rollback)` : r.phase),
      h('progress', { max: Math.max(1, r.total), value: r.updated }),
      h('span', { class: 'num' }, `${r.updated}/${r.total}`),
      h('span', { class: 'note' }, `generation ${r.from} \u2192 ${r.generation}, started ${clock(r.startedAt)}`),
      r.failures > 0 ? h('span', { class: 'badge state-failed' }, `${r.failures} failed`) : null,
      r.reason ? h('span', { class: 'note' }, r.reason) : null))))
}

/** Mesh traffic through this node: a chart per service and its current figures. */
export function renderTraffic (container, traffic) {
  const names = [...traffic.current.keys()].sort()
  container.replaceChildren(...(names.length === 0
    ? [h('p', { class: 'empty' }, 'No published service routes on this node.')]
    : names.map((name) => {
      const samples = traffic.series.get(name) ?? []
      const last = samples.at(-1) ?? { connections: 0, bytesIn: 0, bytesOut: 0 }
      const now = traffic.current.get(name)
      return h('div', { class: 'traffic', 'data-traffic': name },
        h('span', { class: 'name' }, name),
        trafficChart(samples, traffic.limit),
        h('span', { class: 'figures' },
          `${last.connections.toFixed(1)} conn/s \u00b7 in ${bytes(last.bytesIn)}/s \u00b7 out ${bytes(last.bytesOut)}/s \u00b7 ` +
          `${now.active} open \u00b7 ${now.total} total \u00b7 ${now.errors} errors`))
    })))
}

const BAD = /(failed|unhealthy|dead|rolledback|unreachable|firing)$/
const WARN = /(suspect|paused|drained)$/

/** Recent events, newest first; members named by id (a node not yet known by name) are shown by name when known. */
export function renderEvents (list, events, members) {
  const names = new Map(members.map((m) => [m.id, m.name]))
  list.replaceChildren(...events.map((e) => {
    const unreachable = e.kind === 'meshd.unreachable'
    const what = unreachable ? e.node ?? '' : subjectOf(e, names)
    return h('li', { class: BAD.test(e.kind) ? 'bad' : WARN.test(e.kind) ? 'warn' : '', 'data-kind': e.kind, 'data-time': String(e.time ?? '') },
      h('time', {}, typeof e.time === 'number' ? clock(e.time) : ''),
      h('span', { class: 'kind' }, e.kind),
      h('span', { class: 'where', title: 'the node that saw it' }, unreachable ? '' : e.node ?? ''),
      h('span', { class: 'what', title: what }, what),
      h('span', { class: 'message' }, unreachable ? `${what} does not answer: its events are missing here` : e.message ?? ''))
  }))
  if (events.length === 0) list.replaceChildren(h('li', { class: 'empty' }, 'No events yet.'))
}

function subjectOf (e, names) {
  if (e.service !== undefined) return e.slot === undefined ? e.service : `${e.service}.${e.slot}`
  return names.get(e.member) ?? e.member ?? ''
}
