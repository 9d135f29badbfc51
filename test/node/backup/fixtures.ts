// A cluster document written as the API writes it — a service using a secret and a
// config, a token — sealed by a member of its own, for backup and restore tests.

import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import { writeService } from '../../../src/node/api/index.ts'
import { createStored, resolveRefs } from '../../../src/node/api/stored.ts'
import type { ClusterRecords } from '../../../src/node/backup/index.ts'
import { hashToken } from '../../../src/node/auth/index.ts'
import { parseServiceSpec } from '../../../src/node/spec/index.ts'
import { nodeSeal } from '../../../src/node/trust/index.ts'
import { silent } from '../../support/logger.ts'

export interface Member { id: string, document: ClusterDocument }

/** A member with an empty document, sealing its writes with its own key. */
export async function member (): Promise<Member> {
  const key = await generateKeyPair('Ed25519')
  const id = peerIdFromPrivateKey(key).toString()
  return { id, document: new ClusterDocument({ log: silent, seal: nodeSeal(id, key) }) }
}

export const TOKEN = 'meshd_old-token-of-the-old-cluster'

/** Writes web (a secret and a config, a published port, two generations), a token and an alert rule into `document`. */
export function populate (document: ClusterDocument, secretsKey: Buffer): void {
  createStored(document, 'secret', 'db-pass', Buffer.from(`pass-${randomBytes(4).toString('hex')}`), { secretsKey })
  createStored(document, 'config', 'site', Buffer.from('<h1>hi</h1>'), { secretsKey })
  const spec = (env: Record<string, string>) => parseServiceSpec({
    name: 'web', image: 'meshd/busybox:latest', replicas: 2, env, ports: [{ published: 18080, target: 8080 }],
    secrets: [{ source: 'db-pass' }], configs: [{ source: 'site', target: '/www/index.html' }]
  })
  writeService(document, resolveRefs(document, spec({})), 1000)
  writeService(document, resolveRefs(document, spec({ GREETING: 'hi' })), 2000)
  document.putToken('ops', { hash: hashToken(TOKEN), role: 'admin', createdAt: 1, createdBy: 'test' })
  document.putAlert('web-down', { when: 'service.healthy < service.desired service=web', for: '30s', notify: { webhook: 'http://127.0.0.1:9/hook' }, createdAt: 1, updatedAt: 1 })
}

/** The records a backup takes from `document`. */
export function recordsOf (document: ClusterDocument): ClusterRecords {
  return { services: document.services(), secrets: document.secrets(), configs: document.configs(), tokens: document.tokens(), alerts: document.alerts() }
}
