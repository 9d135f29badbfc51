// The cluster document: the only code in meshd that touches Y.Doc. A typed facade
// whose values are whole plain records, each with a single writer (docs/architecture.md), so
// Yjs' last-writer-wins never has to settle a real race. Services, nodes and rollouts
// are top-level Y.Maps; replicas, by far the most rewritten, are one top-level Y.Array
// per node (see replica-arrays.ts for why). Updates use Yjs' V2 encoding throughout: the
// compact one for whole states (100k map overwrites: 59 KB against 1 MB in V1).

import { EventEmitter } from 'node:events'
import * as Y from 'yjs'
import { clonePlain, readRecord, readRecords, sizeOf } from './json.ts'
import { sealedValue } from './seal.ts'
import type { RecordSeal } from './seal.ts'
import { DocumentDisk } from './disk.ts'
import type { DiskOptions } from './disk.ts'
import { ReplicaArrays } from './replica-arrays.ts'
import type { Logger } from '../logger.ts'
import type { DocumentSnapshot, DrainRecord, NodeRecord, RemovalRecord, ReplicaEntry, ReplicaRecord, RolloutRecord, ServiceRecord, TokenRecord } from './types.ts'
import type { ConfigRecord, SecretRecord } from './stored-types.ts'
import type { AlertRecord, AlertStateRecord } from './alert-types.ts'
import type { AutoscaleRecord } from './autoscale-types.ts'
import type { AcmeAccountRecord, AcmeRecord, CertRecord } from './cert-types.ts'
import { MAPS } from './maps.ts'
import type { DocumentChange, MapName } from './maps.ts'

export type { DocumentChange } from './maps.ts'


/** The origin of writes made on this node without an explicit origin. */
export const LOCAL = Symbol('meshd:crdt:local')

// The origin of what start() replays from disk: already persisted and not news to
// anyone, so it is neither logged again nor announced.
const LOAD = Symbol('meshd:crdt:load')

export interface ClusterDocumentInit extends DiskOptions {
  log: Logger
  /** Where the snapshot and the update log live; without it nothing is persisted. */
  dataDir?: string
  /** Seals every record written on this node (its writer and signature). */
  seal?: RecordSeal
}

interface DocumentEvents {
  change: [DocumentChange]
  update: [Uint8Array, unknown]
}

/**
 * Typed reads and writes of the cluster document, persisted to dataDir when given.
 * Reads return copies. put* write whole records and skip a record deep-equal to the
 * current one; delete* of a missing entry does nothing. Per transaction it emits
 * 'update' (the V2 update, for peers) and then 'change', both after the update is on
 * disk: fsynced for this node's writes, written (synced within 100 ms) for peers'.
 */
export class ClusterDocument extends EventEmitter<DocumentEvents> {
  private readonly log: Logger
  private readonly doc = new Y.Doc()
  private readonly maps: Record<MapName, Y.Map<unknown>>
  private readonly replicaArrays: ReplicaArrays
  private readonly seal: RecordSeal | undefined
  private readonly disk: DocumentDisk | undefined
  private started = false
  /** Nesting depth of transact()/applyUpdate(): persistence failures surface at depth 0. */
  private depth = 0
  /** The first persistence failure inside the current outermost transact()/applyUpdate(). */
  private persistFailure: unknown
  /** The current outermost transaction has made a change (so it was admitted). */
  private changed = false
  private readonly onUpdateV2 = (update: Uint8Array, origin: unknown, _doc: Y.Doc, tr: Y.Transaction): void => { this.onUpdate(update, origin, tr) }

  constructor (init: ClusterDocumentInit) {
    super()
    this.log = init.log
    this.maps = Object.fromEntries(MAPS.map((name) => [name, this.doc.getMap(name)])) as Record<MapName, Y.Map<unknown>>
    this.replicaArrays = new ReplicaArrays(this.doc)
    this.seal = init.seal
    this.disk = init.dataDir === undefined ? undefined : new DocumentDisk(init.dataDir, init.log, init)
    this.doc.on('updateV2', this.onUpdateV2)
  }

  /** Loads snapshot and log from dataDir, then persists every later update. Idempotent. */
  async start (): Promise<void> {
    if (this.started) return
    if (this.disk !== undefined) {
      // Detached while loading: Yjs would otherwise encode the whole loaded state as
      // one more update, only for onUpdate to ignore it.
      this.doc.off('updateV2', this.onUpdateV2)
      try {
        this.disk.load(this.doc, LOAD)
      } finally {
        this.doc.on('updateV2', this.onUpdateV2)
      }
    }
    this.started = true
  }

  /** Folds the log into the snapshot and closes it. Idempotent; with a dataDir, writes throw until start(). */
  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.disk?.close(this.doc)
  }

  service (name: string): ServiceRecord | undefined { return readRecord(this.maps.services, name) }
  /** Every service by name, in name order. */
  services (): Record<string, ServiceRecord> { return readRecords(this.maps.services) }
  putService (name: string, rec: ServiceRecord): void { this.put('services', name, rec) }
  deleteService (name: string): void { this.remove('services', name) }

  node (id: string): NodeRecord | undefined { return readRecord(this.maps.nodes, id) }
  /** Every node by id, in id order. */
  nodes (): Record<string, NodeRecord> { return readRecords(this.maps.nodes) }
  putNode (id: string, rec: NodeRecord): void { this.put('nodes', id, rec) }
  deleteNode (id: string): void { this.remove('nodes', id) }

  /** The replicas one node runs, by slot key, in key order. */
  replicasOf (nodeId: string): Record<string, ReplicaRecord> {
    return Object.fromEntries([...this.replicaArrays.of(nodeId)].map(([key, replica]) => [key, clonePlain(replica as ReplicaRecord)]))
  }

  /** Every replica of every node, ordered by node id then slot key. */
  replicas (): ReplicaEntry[] {
    return this.replicaArrays.nodeIds().flatMap(nodeId => [...this.replicaArrays.of(nodeId)]
      .map(([key, replica]) => ({ nodeId, key, replica: clonePlain(replica as ReplicaRecord) })))
  }

  putReplica (nodeId: string, key: string, rec: ReplicaRecord): void {
    if (nodeId === '' || key === '') throw new TypeError('a replica needs a node id and a slot key')
    this.assertWritable()
    const value = sealedValue(this.replicaArrays.get(nodeId, key), `replicas/${nodeId}`, key, rec, this.seal)
    if (value === undefined) return
    this.change(() => { this.replicaArrays.put(nodeId, key, value) }, sizeOf(key, value), true)
  }

  deleteReplica (nodeId: string, key: string): void {
    this.assertWritable()
    if (this.replicaArrays.get(nodeId, key) === undefined) return
    this.change(() => { this.replicaArrays.delete(nodeId, key) }, 0, false)
  }

  rollout (service: string): RolloutRecord | undefined { return readRecord(this.maps.rollouts, service) }
  /** Every rollout by service name, in name order. */
  rollouts (): Record<string, RolloutRecord> { return readRecords(this.maps.rollouts) }
  putRollout (service: string, rec: RolloutRecord): void { this.put('rollouts', service, rec) }
  deleteRollout (service: string): void { this.remove('rollouts', service) }

  /** The autoscaler's status of each autoscaled service, by name (written by the service's coordinator). */
  autoscale (): Record<string, AutoscaleRecord> { return readRecords(this.maps.autoscale) }
  putAutoscale (service: string, rec: AutoscaleRecord): void { this.put('autoscale', service, rec) }
  deleteAutoscale (service: string): void { this.remove('autoscale', service) }
  drain (nodeId: string): DrainRecord | undefined { return readRecord(this.maps.drains, nodeId) }
  /** Every drain request by node id: written by the API of whichever node took it. */
  drains (): Record<string, DrainRecord> { return readRecords(this.maps.drains) }
  putDrain (nodeId: string, rec: DrainRecord): void { this.put('drains', nodeId, rec) }

  token (name: string): TokenRecord | undefined { return readRecord(this.maps.tokens, name) }
  /** Every API token (its hash, never the token) by name: written by the API of whichever node took the request. */
  tokens (): Record<string, TokenRecord> { return readRecords(this.maps.tokens) }
  putToken (name: string, rec: TokenRecord): void { this.put('tokens', name, rec) }
  deleteToken (name: string): void { this.remove('tokens', name) }
  /** Members that left for good, by id: their records are ignored and their ids banned. */
  removals (): Record<string, RemovalRecord> { return readRecords(this.maps.removals) }
  putRemoval (nodeId: string, rec: RemovalRecord): void { this.put('removals', nodeId, rec) }
  /** Every version of every secret (encrypted: stored-types.ts) and config, by "NAME@VERSION". */
  secrets (): Record<string, SecretRecord> { return readRecords(this.maps.secrets) }
  putSecret (key: string, rec: SecretRecord): void { this.put('secrets', key, rec) }
  deleteSecret (key: string): void { this.remove('secrets', key) }
  configs (): Record<string, ConfigRecord> { return readRecords(this.maps.configs) }
  putConfig (key: string, rec: ConfigRecord): void { this.put('configs', key, rec) }
  deleteConfig (key: string): void { this.remove('configs', key) }
  /** Alert rules by name (written by the API), and each rule's state (written by its coordinator). */
  alerts (): Record<string, AlertRecord> { return readRecords(this.maps.alerts) }
  putAlert (name: string, rec: AlertRecord): void { this.put('alerts', name, rec) }
  deleteAlert (name: string): void { this.transact(() => { this.remove('alerts', name); this.remove('alertStates', name) }) }
  alertStates (): Record<string, AlertStateRecord> { return readRecords(this.maps.alertStates) }
  putAlertState (name: string, rec: AlertStateRecord): void { this.put('alertStates', name, rec) }
  /** TLS certificates by host (key sealed), and their ACME issuance by host (and the account, ACME_ACCOUNT_KEY). */
  certs (): Record<string, CertRecord> { return readRecords(this.maps.certs) }
  putCert (host: string, rec: CertRecord): void { this.put('certs', host, rec) }
  deleteCert (host: string): void { this.transact(() => { this.remove('certs', host); this.remove('acme', host) }) }
  acme (): Record<string, AcmeRecord | AcmeAccountRecord> { return readRecords(this.maps.acme) }
  putAcme (key: string, rec: AcmeRecord | AcmeAccountRecord): void { this.put('acme', key, rec) }

  /** Every record at once, as plain copies: the input of the cluster's decisions. */
  snapshot (): DocumentSnapshot {
    return { services: this.services(), nodes: this.nodes(), replicas: this.replicas(), rollouts: this.rollouts(), drains: this.drains(), removals: this.removals(), autoscale: this.autoscale() }
  }

  /**
   * Runs fn as one transaction: one update, one change event, persisted before this
   * returns. Nested calls join the outer transaction (and its origin). Writes made
   * before fn throws are kept: Yjs has no rollback.
   */
  transact (fn: () => void, origin: unknown = LOCAL): void {
    this.run(() => { this.doc.transact(fn, origin) })
  }

  /** The whole state as one update. */
  encodeState (): Uint8Array { return Y.encodeStateAsUpdateV2(this.doc) }
  /** What this document has seen, for a peer to compute what it is missing. */
  encodeStateVector (): Uint8Array { return Y.encodeStateVector(this.doc) }
  /** The update a peer with `stateVector` is missing. */
  encodeDiff (stateVector: Uint8Array): Uint8Array { return Y.encodeStateAsUpdateV2(this.doc, stateVector) }

  /** Applies an update from a peer; its change event has local: false. */
  applyUpdate (update: Uint8Array, origin: unknown): void {
    this.run(() => { Y.applyUpdateV2(this.doc, update, origin) })
  }

  // Deep-equal writes are skipped (sealedValue): each real write leaves a tombstone forever.
  private put (name: MapName, key: string, rec: object): void {
    if (key === '') throw new TypeError('a document key must not be empty')
    const map = this.maps[name]
    this.assertWritable()
    const value = sealedValue(map.get(key), name, key, rec, this.seal)
    if (value === undefined) return
    this.change(() => { map.set(key, value) }, sizeOf(key, value), true)
  }

  private remove (name: MapName, key: string): void {
    const map = this.maps[name]
    this.assertWritable()
    if (!map.has(key)) return
    this.change(() => { map.delete(key) }, 0, false)
  }

  // Every change goes through here. The first one of a transaction is admitted (room on
  // disk, the quota) before anything is applied, as Yjs cannot take a change back; the
  // rest of the transaction rides on that check.
  private change (fn: () => void, bytes: number, grows: boolean): void {
    if (!this.changed) this.disk?.admit(this.doc, bytes, grows)
    this.transact(() => {
      this.changed = true
      fn()
    })
  }

  private run (fn: () => void): void {
    this.assertWritable()
    this.depth += 1
    let failure: unknown
    try {
      fn()
    } finally {
      this.depth -= 1
      if (this.depth === 0) {
        failure = this.persistFailure
        this.persistFailure = undefined
        this.changed = false
      }
    }
    if (failure !== undefined) throw failure
  }

  private assertWritable (): void {
    if (this.disk !== undefined && !this.started) {
      throw new Error('the cluster document is not started: a write now would not be persisted')
    }
  }

  // Runs inside Yjs' transaction cleanup, which must not throw: an exception there
  // skips the rest of the cleanup and leaves the Y.Doc unable to finish any later
  // transaction. Failures are recorded and rethrown by run() instead.
  private onUpdate (update: Uint8Array, origin: unknown, tr: Y.Transaction): void {
    if (origin === LOAD) return
    const persisted = this.persist(update, tr.local)
    const touched = new Set<unknown>(tr.changed.keys())
    const maps = Object.fromEntries(MAPS.map((name) => [name, touched.has(this.maps[name])])) as Record<MapName, boolean>
    const change: DocumentChange = { origin, local: tr.local, ...maps, replicas: this.replicaArrays.touchedBy(touched) }
    try {
      // This node's write that missed the disk is not sent out: its caller is told it
      // failed. It is in memory, though (Yjs cannot take it back): a later snapshot
      // persists it and sync rounds carry it, so to the caller its fate is unknown.
      if (persisted || !tr.local) this.emit('update', update, origin)
    } catch (err) {
      this.log.error({ err }, 'an update listener of the cluster document threw')
    }
    if (!change.replicas && !MAPS.some((name) => maps[name])) return
    try {
      this.emit('change', change)
    } catch (err) {
      this.log.error({ err }, 'a change listener of the cluster document threw')
    }
  }

  // This node's writes are synced before they return, peers' a moment later (disk.ts).
  private persist (update: Uint8Array, local: boolean): boolean {
    if (this.disk === undefined || !this.disk.isOpen) return true
    try {
      this.disk.persist(this.doc, update, local)
      return true
    } catch (err) {
      this.persistFailure ??= err // logged by the disk; rethrown by run()
      return false
    }
  }
}
