// How `meshd secret|config` show metadata to people: the list, one item's block, and
// which services an update rolls. Nothing here ever sees a value.

import type { StoredUse, StoredView } from '../api/index.ts'
import { sizeText } from './stored-content.ts'
import type { StoredKind } from './stored-content.ts'
import { ago, table } from './table.ts'

/** The `ls` table: NAME, VERSION, SIZE, USED BY, UPDATED. */
export function storedTable (views: StoredView[], now = Date.now()): string {
  return table(['NAME', 'VERSION', 'SIZE', 'USED BY', 'UPDATED'], views.map((v) => [
    v.name, String(v.version), sizeText(v.size), usersText(v.usedBy), ago(v.updatedAt, now)
  ]))
}

/** "api,worker@1": the services that use it, a pinned one with its version; "-" for none. */
export function usersText (usedBy: StoredUse[]): string {
  return usedBy.length === 0 ? '-' : usedBy.map((u) => u.pinned ? `${u.service}@${u.version}` : u.service).join(',')
}

/** The `inspect` block: the item's metadata and, per service that uses it, what its replicas run. */
export function describeStored (kind: StoredKind, view: StoredView, now = Date.now()): string {
  const when = (at: number): string => `${new Date(at).toISOString()} (${ago(at, now)} ago)`
  const lines = [
    `Name:      ${view.name}`,
    `Kind:      ${kind}`,
    `Version:   ${view.version} (kept: ${view.versions.join(', ')})`,
    `Size:      ${sizeText(view.size)}`,
    `Created:   ${when(view.createdAt)}`,
    `Updated:   ${when(view.updatedAt)}`,
    `Used by:   ${view.usedBy.length === 0 ? 'no service' : view.usedBy.length === 1 ? '1 service' : `${view.usedBy.length} services`}`
  ]
  const text = `${lines.join('\n')}\n`
  if (view.usedBy.length === 0) return text
  const uses = table(['SERVICE', 'REFERS TO', 'RUNNING', 'OUTDATED'], view.usedBy.map((u) => [
    u.service, u.pinned ? `version ${u.version} (pinned)` : `latest (${u.version})`, runningText(u.running), String(u.outdated)
  ]))
  return text + uses.split('\n').map((line) => line === '' ? line : `  ${line}`).join('\n')
}

/** "v2: 2, v1: 1": replicas by the version they run, newest first; "-" when none runs. */
export function runningText (running: Record<string, number>): string {
  const entries = Object.entries(running).sort(([a], [b]) => Number(b) - Number(a))
  return entries.length === 0 ? '-' : entries.map(([version, count]) => `v${version}: ${count}`).join(', ')
}

/** What `update` prints: the new version, the services that roll to it (unpinned) and those that stay pinned. */
export function updateText (view: StoredView): string {
  const rolling = view.usedBy.filter((u) => !u.pinned).map((u) => u.service)
  const pinned = view.usedBy.filter((u) => u.pinned).map((u) => `${u.service}@${u.version}`)
  const lines = [`${view.name}: updated, version ${view.version}`]
  if (view.usedBy.length === 0) lines.push('no service uses it')
  else lines.push(rolling.length === 0 ? 'no service rolls' : `rolling to version ${view.version}: ${rolling.join(', ')}`)
  if (pinned.length > 0) lines.push(`pinned, not rolled: ${pinned.join(', ')}`)
  return `${lines.join('\n')}\n`
}
