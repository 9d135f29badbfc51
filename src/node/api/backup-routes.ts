// GET /v1/backups[?service=NAME]: the volume backups the members store, newest first.

import type { FastifyInstance } from 'fastify'
import { backupsOf } from '../cluster/index.ts'
import type { StoredBackup } from '../cluster/index.ts'
import type { ApiInit } from './types.ts'

export type BackupView = StoredBackup

export function registerBackupRoutes (app: FastifyInstance, init: ApiInit): void {
  app.get<{ Querystring: { service?: string } }>('/v1/backups', async (req): Promise<BackupView[]> => {
    const service = typeof req.query.service === 'string' ? req.query.service : undefined
    return backupsOf(init.view(), service)
  })
}
