// Shared fixtures of the gossip tests: real libp2p nodes over TCP, each on its own
// loopback address (127.0.0.61 and up), a recording logger, and polling.

import { generateKeyPair } from '@libp2p/crypto/keys'
import { ClusterDocument } from '../../src/crdt/index.ts'
import { generateSecret, gossip } from '../../src/gossip/index.ts'
import type { Gossip, GossipInit } from '../../src/gossip/index.ts'
import type { ServiceRecord } from '../../src/crdt/index.ts'
import { recordingLogger } from '../support/logger.ts'
import type { RecordingLogger } from '../support/logger.ts'
import type { PrivateKey } from '@libp2p/interface'

export interface TestNode {
  name: string
  host: string
  port: number
  privateKey: PrivateKey
  document: ClusterDocument
  gossip: Gossip
  log: RecordingLogger
}

export interface NodeOptions extends Partial<Omit<GossipInit, 'log' | 'document' | 'privateKey'>> {
  name: string
  host: string
  port: number
  privateKey?: PrivateKey
  /** A document to start from (a restart); a fresh one otherwise. */
  document?: ClusterDocument
}

/** Nodes started by a test, all stopped by stopAll() (call it in afterEach). */
export class TestCluster {
  readonly psk = generateSecret()
  readonly nodes: TestNode[] = []

  /** Starts a node, registering it in its own document as the daemon would. */
  async add (options: NodeOptions): Promise<TestNode> {
    const log = recordingLogger(options.name)
    const privateKey = options.privateKey ?? await generateKeyPair('Ed25519')
    const document = options.document ?? new ClusterDocument({ log })
    const g = gossip({ psk: this.psk, ...options, privateKey, document, log })
    const node: TestNode = { name: options.name, host: options.host, port: options.port, privateKey, document, gossip: g, log }
    this.nodes.push(node)
    document.putNode(g.id, { name: options.name, host: options.host, apiPort: 0, p2pPort: options.port, labels: {}, draining: false, startedAt: Date.now() })
    await g.start()
    return node
  }

  /** Stops one node; its document stays readable. */
  async stop (node: TestNode): Promise<void> {
    await node.gossip.stop()
  }

  async stopAll (): Promise<void> {
    await Promise.allSettled(this.nodes.map(async node => { await node.gossip.stop() }))
    this.nodes.length = 0
  }
}

/** Polls until check() is true; returns the time it took. Throws after timeoutMs. */
export async function waitFor (what: string, check: () => boolean, timeoutMs = 10_000): Promise<number> {
  const start = performance.now()
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(10)
  }
  return Math.round(performance.now() - start)
}

export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

/** True when every document encodes to the same bytes. */
export function converged (nodes: readonly TestNode[]): boolean {
  const first = Buffer.from(nodes[0]?.document.encodeState() ?? new Uint8Array())
  return nodes.every(node => first.equals(node.document.encodeState()))
}

export function serviceRecord (name: string, env: Record<string, string> = {}): ServiceRecord {
  return {
    spec: { name, image: `registry.local/${name}:1`, env, replicas: 1, ports: [], labels: {} },
    generation: 1,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000
  }
}
