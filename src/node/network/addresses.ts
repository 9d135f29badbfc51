// The service addresses of this node live on its replica network's bridge as /32
// addresses of the host, so the mesh can listen on them and replicas reach them
// through their gateway (inter-container traffic on the bridge is off; traffic to the
// host is not). Only addresses inside the network's service range are ever touched.

import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { Logger } from '../../logger.ts'

/** Runs a command, resolving with its output; rejects with `stderr` on failure. */
export type CommandRunner = (command: string, args: string[]) => Promise<{ stdout: string }>
const execute: CommandRunner = promisify(execFile)

/** The addresses to add and to remove so that `current` becomes `wanted`. */
export function addressChanges (current: readonly string[], wanted: readonly string[]): { add: string[], remove: string[] } {
  const have = new Set(current)
  const want = new Set(wanted)
  return { add: [...want].filter((a) => !have.has(a)).sort(), remove: [...have].filter((a) => !want.has(a)).sort() }
}

/** Keeps the service addresses on one bridge interface in line with what the mesh listens on. */
export class BridgeAddresses {
  private readonly bridge: string
  private readonly inRange: (address: string) => boolean
  private readonly log: Logger
  /** The wanted addresses of the last sync that completed, as the bridge carries them. */
  private synced: string | undefined
  private readonly run: CommandRunner

  constructor (bridge: string, inRange: (address: string) => boolean, log: Logger, run: CommandRunner = execute) {
    this.bridge = bridge
    this.inRange = inRange
    this.log = log
    this.run = run
  }

  /**
   * Makes the bridge carry exactly `wanted` among the service range's addresses. What it
   * carries is read from the kernel once, then remembered: the mesh calls this on every
   * change of the document, and starting `ip` costs a fork of the whole daemon (~25 ms
   * of CPU), so it runs only when the addresses change (and to read again after a failure).
   */
  async sync (wanted: string[]): Promise<void> {
    const want = [...new Set(wanted.filter(this.inRange))].sort()
    const key = want.join(',')
    if (key === this.synced) return
    this.synced = undefined
    const { add, remove } = addressChanges(await this.current(), want)
    for (const address of add) await this.ip('add', address)
    for (const address of remove) await this.ip('del', address)
    this.synced = key
    if (add.length + remove.length > 0) this.log.debug({ bridge: this.bridge, added: add.length, removed: remove.length }, 'service addresses updated')
  }

  /** Removes every service address this node put on the bridge. */
  async clear (): Promise<void> {
    this.synced = undefined
    for (const address of await this.current()) await this.ip('del', address).catch(() => {})
  }

  private async current (): Promise<string[]> {
    const { stdout } = await this.run('ip', ['-4', '-o', 'addr', 'show', 'dev', this.bridge])
    return [...stdout.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\/32/g)].map((m) => m[1]!).filter(this.inRange)
  }

  private async ip (action: 'add' | 'del', address: string): Promise<void> {
    try {
      await this.run('ip', ['-4', 'addr', action, `${address}/32`, 'dev', this.bridge])
    } catch (err) {
      const message = (err as { stderr?: string }).stderr ?? (err as Error).message
      // Another meshd on this machine, or a restart, may have done it already.
      if (/File exists|Cannot assign requested address/.test(message)) return
      throw new Error(`ip addr ${action} ${address}/32 dev ${this.bridge}: ${message.trim()}`)
    }
  }
}
