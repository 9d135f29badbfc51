// Slot keys, the one way the cluster names a slot: "name#slot" ("web#0"). Service
// names cannot hold '#' (DNS labels), so the last '#' splits a key unambiguously.

/** The key of slot `slot` of `service`. */
export function slotKey (service: string, slot: number): string {
  return `${service}#${slot}`
}

/** The service and slot number of a key, or undefined when it is not a slot key. */
export function parseSlotKey (key: string): { service: string, slot: number } | undefined {
  const at = key.lastIndexOf('#')
  if (at <= 0) return undefined
  const slot = Number(key.slice(at + 1))
  return Number.isInteger(slot) && key.length > at + 1 ? { service: key.slice(0, at), slot } : undefined
}
