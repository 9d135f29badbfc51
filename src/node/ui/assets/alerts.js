// The firing alerts panel: each rule that fires now, what for, since when, and how its
// notification went. Built from GET /v1/alerts as text only (dom.js).

import { clock, h } from './dom.js'

/** Firing alerts first by how long they fire; "No alerts firing." otherwise. */
export function renderAlerts (container, alerts) {
  const firing = (alerts ?? []).filter((a) => a.state === 'firing').sort((a, b) => (a.startsAt ?? 0) - (b.startsAt ?? 0))
  const pending = (alerts ?? []).filter((a) => a.state === 'pending').length
  if (firing.length === 0) {
    container.replaceChildren(h('p', { class: 'empty' }, `No alerts firing${pending > 0 ? ` (${pending} pending)` : ''}.`))
    return
  }
  container.replaceChildren(...firing.map((a) => h('div', { class: 'alert', 'data-alert': a.name, 'data-state': a.state },
    h('span', { class: 'badge state-failed' }, 'firing'),
    h('span', { class: 'name' }, a.name),
    h('span', { class: 'mono' }, a.when),
    h('span', { class: 'labels' }, (a.instances ?? []).map((i) => h('span', { class: 'label' }, Object.entries(i.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(' ')))),
    h('span', { class: 'note' }, `since ${clock(a.startsAt ?? a.since)}`),
    a.lastNotice === undefined ? null : h('span', { class: 'note', title: a.lastNotice.error ?? '' }, `notice ${a.lastNotice.status} ${a.lastNotice.phase}`))))
}
