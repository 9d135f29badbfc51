// The volume data this node holds (NodeRecord.holds), kept true to what runs here: a
// stateful slot that starts here holds its data at the slot's epoch; a slot placed
// elsewhere releases its data once its replica is stopped, so the new node can copy it;
// once the new node holds it at a later epoch, this node deletes its copy. Before a slot
// whose data is on another node starts here, its volumes are copied from that node.

import type { Readable } from 'node:stream'
import type { ClusterDocument, NodeRecord, ServiceRecord, VolumeHold } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import { parseSlotKey, slotKey } from '../../placement/index.ts'
import { parseSlotResource, slotResource } from '../cluster/index.ts'
import type { DesiredSlot } from '../cluster/index.ts'

/** What the keeper needs of the Docker runtime. */
export interface VolumeRuntime {
  exportVolume: (name: string, image: string) => Promise<Readable>
  importVolume: (name: string, labels: { node: string, service: string, slot: number, source: string }, image: string, tar: Readable) => Promise<void>
  removeVolume: (name: string) => Promise<void>
  listVolumes: () => Promise<Array<{ name: string, service: string, slot: number, source: string }>>
}

export interface VolumeKeeperInit {
  nodeId: string
  nodeName: string
  document: ClusterDocument
  runtime: VolumeRuntime
  log: Logger
  /** This node's Docker volume of a slot's source. */
  volumeName: (service: string, source: string, slot: number) => string
  /** A service as this node believes it (trust/). */
  service: (name: string) => ServiceRecord | undefined
  /** The node records this node believes (trust/). */
  nodes: () => Record<string, NodeRecord>
  /** Opens the archive of another node's volume (transfer/). */
  pull: (node: NodeRecord, resource: string) => Promise<Readable>
  /** Where an archive to restore is kept, checked whole, before the volume is touched. */
  spool?: {
    write: (name: SpoolName, body: Readable) => Promise<unknown>
    open: (name: SpoolName) => Promise<Readable | undefined>
    remove: (name: SpoolName) => Promise<void>
  }
  /** Asks the reconciler for a tick (a slot paused or resumed). */
  wake?: () => void
}

interface SpoolName { service: string, slot: number, source: string, at: number }

/** How long a restore waits for the slot's replica to stop. */
const VACATE_TIMEOUT_MS = 120_000

export class VolumeKeeper {
  private readonly init: VolumeKeeperInit
  /** Slot keys with a container here (running, starting or being stopped), as of the last settle. */
  private occupied = new Set<string>()
  private deleting = new Set<string>()
  /** Slots whose replica is kept stopped while their volume is restored. */
  private readonly pausedKeys = new Set<string>()
  private readonly vacatedWaiters = new Map<string, Array<() => void>>()

  constructor (init: VolumeKeeperInit) {
    this.init = init
  }

  /** Copies a slot's volumes from the node that released them, before its replica starts here. */
  async prepare (slot: DesiredSlot, record: ServiceRecord): Promise<void> {
    const from = slot.data?.from
    if (from === undefined) return
    const node = this.init.nodes()[from]
    if (node === undefined) throw new Error(`the node holding ${slot.key}'s data (${from}) is unknown`)
    const { spec } = record
    for (const volume of spec.volumes ?? []) {
      const began = Date.now()
      const backup = slot.data?.backup
      const resource = slotResource({ kind: backup === undefined ? 'volume' : 'backup', service: slot.service, slot: slot.slot, source: volume.source, at: backup })
      const archive = await this.init.pull(node, resource)
      const name = this.init.volumeName(slot.service, volume.source, slot.slot)
      await this.init.runtime.importVolume(name, { node: this.init.nodeName, service: slot.service, slot: slot.slot, source: volume.source }, spec.image, archive)
      this.init.log.info({ slot: slot.key, volume: volume.source, from: node.name, backup, ms: Date.now() - began }, backup === undefined ? 'copied volume data from its previous node' : 'restored volume data from a backup')
    }
  }

  /** A stateful replica runs here: this node holds its slot's data at the slot's epoch. */
  started (slot: DesiredSlot): void {
    if (slot.data === undefined) return
    this.writeHold(slot.key, { service: slot.service, slot: slot.slot, epoch: slot.data.epoch })
  }

  /**
   * After a tick: holds for the stateful slots running here, released for those placed
   * elsewhere whose replica is gone, and this node's copy deleted once another node holds
   * the data at a later epoch. `occupied`: slot keys with a container here.
   */
  settle (desired: DesiredSlot[], occupied: Set<string>): void {
    this.occupied = occupied
    const record = this.init.document.node(this.init.nodeId)
    if (record === undefined) return
    const holds = { ...record.holds }
    let changed = false
    for (const slot of desired) {
      const hold = holds[slot.key]
      // A replica adopted after a restart, or started before its hold was written.
      if (slot.data !== undefined && slot.data.from === undefined && occupied.has(slot.key) && (hold === undefined || hold.released === true || hold.epoch !== slot.data.epoch)) {
        holds[slot.key] = { service: slot.service, slot: slot.slot, epoch: slot.data.epoch }
        changed = true
      }
    }
    const desiredKeys = new Set(desired.map((slot) => slot.key))
    const superseded: Array<[string, VolumeHold]> = []
    for (const [key, hold] of Object.entries(holds)) {
      if (desiredKeys.has(key) || occupied.has(key) || this.pausedKeys.has(key)) continue
      if (this.heldLater(key, hold.epoch)) {
        superseded.push([key, hold])
      } else if (hold.released !== true && this.init.service(hold.service) !== undefined) {
        holds[key] = { ...hold, released: true }
        changed = true
        this.init.log.info({ slot: key }, 'replica stopped: its volume data is released for its new node')
      }
    }
    if (changed) this.init.document.putNode(this.init.nodeId, { ...record, holds })
    for (const [key, hold] of superseded) void this.deleteData(key, hold)
    for (const [key, waiters] of this.vacatedWaiters) {
      if (occupied.has(key)) continue
      this.vacatedWaiters.delete(key)
      for (const resolve of waiters) resolve()
    }
  }

  /** True while a slot's volume is being restored: its replica stays stopped. */
  paused (key: string): boolean {
    return this.pausedKeys.has(key)
  }

  /**
   * Replaces one volume of a slot held here with an archive (`restore/SERVICE/SLOT/SOURCE`):
   * the archive is kept and checked whole first (a bad one changes nothing), then the
   * replica is stopped, the volume replaced and the replica started again.
   */
  async restore (resource: string, body: Readable): Promise<void> {
    const { spool } = this.init
    const { service = '', slot = 0, source = '' } = parseSlotResource(resource, 'restore') ?? {}
    const key = slotKey(service, slot)
    const record = this.init.service(service)
    const hold = this.init.document.node(this.init.nodeId)?.holds?.[key]
    if (spool === undefined || record === undefined || hold === undefined || hold.released === true || !(record.spec.volumes ?? []).some((v) => v.source === source)) {
      throw new Error(`${resource}: this node does not hold that volume`)
    }
    if (this.pausedKeys.has(key)) throw new Error(`${key} is being restored already`)
    const name = { service, slot, source, at: Date.now() }
    await spool.write(name, body)
    this.pausedKeys.add(key)
    try {
      this.init.wake?.()
      await this.vacated(key)
      const archive = await spool.open(name)
      if (archive === undefined) throw new Error(`${resource}: the kept archive is gone`)
      await this.init.runtime.importVolume(this.init.volumeName(service, source, slot), { node: this.init.nodeName, service, slot, source }, record.spec.image, archive)
      this.init.log.info({ slot: key, volume: source }, 'volume restored from an archive')
    } finally {
      this.pausedKeys.delete(key)
      this.init.wake?.()
      await spool.remove(name)
    }
  }

  /** Resolves once no container of the slot is left here. */
  private async vacated (key: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`${key}'s replica did not stop within ${VACATE_TIMEOUT_MS / 1000} s`)) }, VACATE_TIMEOUT_MS)
      this.vacatedWaiters.set(key, [...(this.vacatedWaiters.get(key) ?? []), () => { clearTimeout(timer); resolve() }])
    })
  }

  /** The archive of a released volume of this node, for the slot's new node; undefined when it has none to give. */
  async open (resource: string): Promise<Readable | undefined> {
    const parsed = parseSlotResource(resource, 'volume')
    if (parsed === undefined) return undefined
    const { service, slot, source } = parsed
    const key = slotKey(service, slot)
    const hold = this.init.document.node(this.init.nodeId)?.holds?.[key]
    const record = this.init.service(service)
    if (hold?.released !== true || this.occupied.has(key) || record === undefined) return undefined
    if (!(record.spec.volumes ?? []).some((v) => v.source === source)) return undefined
    return await this.init.runtime.exportVolume(this.init.volumeName(service, source, slot), record.spec.image)
  }

  private heldLater (key: string, epoch: number): boolean {
    return Object.entries(this.init.nodes()).some(([id, node]) => id !== this.init.nodeId && (node.holds?.[key]?.epoch ?? 0) > epoch)
  }

  private writeHold (key: string, hold: VolumeHold): void {
    const record = this.init.document.node(this.init.nodeId)
    if (record === undefined) return
    const current = record.holds?.[key]
    if (current !== undefined && current.epoch === hold.epoch && current.released !== true) return
    this.init.document.putNode(this.init.nodeId, { ...record, holds: { ...record.holds, [key]: hold } })
  }

  private async deleteData (key: string, hold: VolumeHold): Promise<void> {
    if (this.deleting.has(key)) return
    this.deleting.add(key)
    try {
      const parsed = parseSlotKey(key)
      const volumes = (await this.init.runtime.listVolumes()).filter((v) => v.service === parsed?.service && v.slot === parsed.slot)
      for (const volume of volumes) await this.init.runtime.removeVolume(volume.name)
      // The hold goes once the copy is gone: a failed delete is tried again on a later tick.
      const record = this.init.document.node(this.init.nodeId)
      if (record?.holds?.[key]?.epoch === hold.epoch) {
        const { [key]: _gone, ...rest } = record.holds
        this.init.document.putNode(this.init.nodeId, { ...record, holds: rest })
      }
      this.init.log.info({ slot: key, volumes: volumes.length, epoch: hold.epoch }, 'another node holds this slot\'s data now: deleted this node\'s copy')
    } catch (err) {
      this.init.log.warn({ slot: key, err: (err as Error).message }, 'could not delete a superseded copy of volume data')
    } finally {
      this.deleting.delete(key)
    }
  }
}
