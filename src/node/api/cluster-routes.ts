// The routes of the cluster's own state (admin): a backup of its durable records, and
// their restore into a fresh cluster. A backup holds token hashes and secrets exactly as
// the document stores them (encrypted): nothing is decrypted on the way out or in.

import type { FastifyInstance } from 'fastify'
import { DOCUMENT_QUOTA_BYTES } from '../../crdt/index.ts'
import { assertRestorable, BACKUP_KINDS, checkRecords, createBackup, openBackup, restoreRecords } from '../backup/index.ts'
import type { BackupFile, ClusterRecords, RestoreSummary } from '../backup/index.ts'
import { MeshdError } from '../errors.ts'
import type { ApiInit } from './types.ts'

/** What POST /v1/cluster/restore answers: the keys written by kind, and where they came from. */
export interface RestoreResult extends RestoreSummary {
  /** The cluster the backup was taken from, and when, and by which node. */
  from: { cluster?: string, createdAt: string, node: string }
}

const admin = { config: { permission: 'cluster' } } as const

export function registerClusterRoutes (app: FastifyInstance, init: ApiInit): void {
  const { document } = init
  const records = (): ClusterRecords => init.records?.() ?? {
    services: document.services(), secrets: document.secrets(), configs: document.configs(), tokens: document.tokens(), alerts: document.alerts()
  }

  // Audited like a write: whoever takes a backup holds every token hash and secret ciphertext.
  app.get('/v1/cluster/backup', { config: { permission: 'cluster', audit: true } }, async (req): Promise<BackupFile> => {
    const cluster = init.clusterId?.()
    const file = createBackup(records(), backupKey(init), { createdAt: Date.now(), node: init.node.name, ...(cluster === undefined ? {} : { cluster }) })
    init.log.info({ ...counts(file.records), by: req.principal?.name }, 'cluster backup taken')
    return file
  })

  // A backup may hold up to a document's worth of records: its own body limit.
  app.post('/v1/cluster/restore', { ...admin, bodyLimit: DOCUMENT_QUOTA_BYTES }, async (req): Promise<RestoreResult> => {
    const content = openBackup(req.body, backupKey(init))
    const checked = checkRecords(content.records)
    assertRestorable(document, checked)
    const summary = restoreRecords(document, checked)
    const from = { ...(content.cluster === undefined ? {} : { cluster: content.cluster }), createdAt: content.createdAt, node: content.node }
    init.log.warn({ ...counts(checked), from, by: req.principal?.name }, 'cluster restored from a backup: its services, secrets, configs, tokens and alert rules are this cluster\'s now')
    return { ...summary, from }
  })
}

function counts (records: ClusterRecords): Record<keyof ClusterRecords, number> {
  return Object.fromEntries(BACKUP_KINDS.map((kind) => [kind, Object.keys(records[kind]).length])) as Record<keyof ClusterRecords, number>
}

function backupKey (init: ApiInit): Buffer {
  if (init.backupKey === undefined) throw new MeshdError('MESHD_INTERNAL', 'this node has no backup key')
  return init.backupKey
}
