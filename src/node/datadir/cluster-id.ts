// The cluster this node belongs to, kept in DATA_DIR/cluster.id. The node that founds a
// cluster (it made the cluster secret and joins no one) names it at its first start; a
// node that joins adopts the id of the first peer it meets (gossip/protector.ts); a node
// still without one names its own as soon as its document holds a service. From then on
// a peer of another cluster is refused, whatever secret it holds.

import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ClusterDocument } from '../../crdt/index.ts'
import type { ClusterIdentity } from '../../gossip/index.ts'
import type { Logger } from '../../logger.ts'
import { StartupError } from '../errors.ts'

export const CLUSTER_ID_FILE = 'cluster.id'
const ID = /^[0-9a-f]{32}$/

export class ClusterId implements ClusterIdentity {
  private readonly path: string
  private readonly log: Logger
  private current: string | undefined

  constructor (dataDir: string, log: Logger) {
    this.path = join(dataDir, CLUSTER_ID_FILE)
    this.log = log
  }

  /** Reads the data dir's id; a founder without one names its cluster now. */
  load (founder: boolean): void {
    let text: string | undefined
    try {
      text = readFileSync(this.path, 'utf8').trim()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new StartupError(`cannot read ${this.path}: ${(err as Error).message}`)
    }
    if (text !== undefined) {
      if (!ID.test(text)) throw new StartupError(`${this.path}: expected 32 hex digits, got ${JSON.stringify(text.slice(0, 40))}; restore it or remove it to join a cluster afresh`)
      this.current = text
    } else if (founder) {
      this.claim()
    }
  }

  id (): string | undefined {
    return this.current
  }

  adopt (id: string): void {
    if (this.current !== undefined || !ID.test(id)) return
    this.save(id)
    this.log.info({ cluster: id }, 'joined a cluster: this node now refuses peers of any other')
  }

  /** A part that names this node's own cluster once `document` holds a service, if no peer named one by then. */
  claimingFor (document: ClusterDocument): { start: () => void, stop: () => void } {
    const onChange = (change: { services: boolean }): void => {
      if (change.services && this.current === undefined && Object.keys(document.services()).length > 0) this.claim()
    }
    return { start: () => { document.on('change', onChange) }, stop: () => { document.off('change', onChange) } }
  }

  /** Names a cluster of this node's own, unless it has one. */
  claim (): void {
    if (this.current !== undefined) return
    this.save(randomBytes(16).toString('hex'))
    this.log.info({ cluster: this.current }, 'named a new cluster')
  }

  private save (id: string): void {
    writeFileSync(this.path, `${id}\n`, { mode: 0o600 })
    this.current = id
  }
}
