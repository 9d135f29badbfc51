// The transfer resources of a slot's volume data, one naming for every part that moves it:
// `volume/` (a released volume, to its slot's new node), `snapshot/` (a live archive for
// `meshd volume backup`), `restore/` (an archive to put back) and `backup/…/AT` (one
// stored backup). Parsing is strict: a name that does not match is no resource.

export type SlotResourceKind = 'volume' | 'snapshot' | 'restore' | 'backup'

export interface SlotResource {
  kind: SlotResourceKind
  service: string
  slot: number
  source: string
  /** A backup's time (ms): given for `backup/` only. */
  at?: number
}

const PATTERN = /^(volume|snapshot|restore|backup)\/([a-z0-9-]+)\/(\d{1,9})\/([a-z0-9][a-z0-9_.-]*)(?:\/(\d{1,15}))?$/

/** "kind/service/slot/source[/at]". */
export function slotResource (resource: SlotResource): string {
  const at = resource.kind === 'backup' ? `/${resource.at ?? 0}` : ''
  return `${resource.kind}/${resource.service}/${resource.slot}/${resource.source}${at}`
}

/** The resource a name gives, when it is one of `kind`. */
export function parseSlotResource (name: string, kind: SlotResourceKind): SlotResource | undefined {
  const match = PATTERN.exec(name)
  if (match === null || match[1] !== kind) return undefined
  const [, , service = '', slot = '', source = '', at] = match
  if ((kind === 'backup') !== (at !== undefined)) return undefined
  return { kind, service, slot: Number(slot), source, ...(at === undefined ? {} : { at: Number(at) }) }
}
