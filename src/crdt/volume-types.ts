// The data model of stateful services: volumes, tmpfs and backups in a spec; the volume
// data a node holds and the backups it stores, in its node record.

/**
 * A volume of each slot: `source` names it within the service, `target` is where it is
 * mounted (absolute). `onNodeLoss` says what the slot does when its node is lost: wait
 * for it (the default), start elsewhere from the latest backup, or start empty.
 */
export interface VolumeSpec {
  source: string
  target: string
  /** Stored only when true. */
  readOnly?: boolean
  onNodeLoss?: 'wait' | 'restore' | 'empty'
}

/** A tmpfs at `target`; `size` in bytes (absent: the kernel's default, half the host's memory). */
export interface TmpfsSpec {
  target: string
  size?: number
}

/** A backup schedule: `every` a duration ("1h"), the latest `keep` kept, `command` run in the replica first. */
export interface BackupSpec {
  every: string
  keep: number
  command?: string[]
}

/**
 * A slot's volume data held by a node. The holder with the highest epoch has the
 * slot's data; a node that takes the data over (moved, or started empty after a loss)
 * holds it at the next epoch, and the old holder then deletes its copy.
 */
export interface VolumeHold {
  service: string
  slot: number
  epoch: number
  /** Its replica is stopped and the data may be copied to the slot's new node. */
  released?: boolean
}

/** One volume of one slot, archived at `at` by the node that held it, stored by the node filing it. */
export interface BackupEntry {
  service: string
  slot: number
  source: string
  /** When the backup was taken (ms): the backups of one run share it. */
  at: number
  bytes: number
  /** Hex SHA-256 of the archive. */
  sha256: string
  /** The node that held the data and took the backup. */
  from: string
}
