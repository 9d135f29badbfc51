// Start-up failures of a node's parts, as one clear message each (StartupError).

import { StartupError } from './errors.ts'
import { RuntimeUnavailableError } from './runtime/index.ts'
import type { Runtime } from './runtime/index.ts'

/** The Docker Engine as a part of the daemon: it must answer before anything starts. */
export function engine (runtime: Runtime): { start: () => Promise<void>, stop: () => Promise<void> } {
  return {
    start: async () => {
      await runtime.ping().catch((err: Error) => {
        throw err instanceof RuntimeUnavailableError
          ? new StartupError(`cannot reach the Docker Engine: ${err.message}\n` +
            'Start it first: `sudo systemctl start docker`, or `sudo dockerd &` on a machine without systemd ' +
            '(scripts/setup.sh installs and starts it).')
          : err
      })
    },
    stop: async () => { await runtime.stop() }
  }
}

/** The error a failed peer-to-peer listen becomes. */
export function p2pFailure (err: NodeJS.ErrnoException, host: string, port: number): StartupError {
  return new StartupError(err.code === 'EADDRINUSE' || /EADDRINUSE/.test(err.message)
    ? `--p2p-port: ${host}:${port} is already in use (another meshd?)`
    : `cannot start the peer-to-peer host on ${host}:${port}: ${err.message}`)
}
