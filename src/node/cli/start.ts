// `meshd start` and `meshd join`: the daemon in the foreground. SIGTERM/SIGINT stop it
// cleanly and leave containers running for the next start to adopt.

import type { Command } from 'commander'
import { parseDaemonConfig } from '../config.ts'
import { DEFAULT_API_PORT, DEFAULT_P2P_PORT } from '../constants.ts'
import type { RawDaemonOptions } from '../config.ts'
import { DocumentCorruptError } from '../../crdt/index.ts'
import { Daemon, StartupError } from '../daemon.ts'
import { collect } from './flags.ts'

export function registerStartCommand (program: Command): void {
  startOptions(program.command('start').description('run the meshd daemon in the foreground'))
    .action(async (flags: RawDaemonOptions) => { await runUntilSignal(new Daemon(parseDaemonConfig(flags))) })

  startOptions(program.command('join')
    .description('run the daemon and join the cluster of a peer: MESHD_SECRET=TOKEN meshd join HOST:PORT [start options]')
    .argument('<peer>', 'a member\'s HOST:P2P_PORT or multiaddr'))
    .action(async (peer: string, flags: RawDaemonOptions) => {
      await runUntilSignal(new Daemon(parseDaemonConfig({ ...flags, join: [peer, ...(flags.join ?? [])] })))
    })
}

function startOptions (command: Command): Command {
  return command
    .requiredOption('--name <name>', 'node name (a DNS label)')
    .option('--host <address>', 'address every socket of this node binds to', '127.0.0.1')
    .option('--data-dir <dir>', 'where the node keeps its key, the cluster secret, the API token and the cluster document (default: MESHD_DATA_DIR, /var/lib/meshd as root, else ~/.local/share/meshd)')
    .option('--api-port <port>', 'HTTP API port', String(DEFAULT_API_PORT))
    .option('--p2p-port <port>', 'peer-to-peer port', String(DEFAULT_P2P_PORT))
    .option('--join <host:port>', 'a peer to join (repeatable; a multiaddr works too)', collect)
    .option('--secret-file <path>', 'a file holding the join token (`meshd join-token` on a member prints it); or set MESHD_SECRET')
    .option('--secret <token>', 'the join token on the command line (visible in ps: prefer --secret-file or MESHD_SECRET)')
    .option('--mdns', 'find peers on the LAN by mDNS (default: on unless --host is loopback)')
    .option('--no-mdns', 'do not look for peers on the LAN')
    .option('--label <K=V>', 'node label (repeatable)', collect)
    .option('--capacity <cpus=N,memory=SIZE>', 'what this node offers to placement (default: the machine\'s cpus and memory)')
    .option('--api-host-name <name>', 'a DNS name clients may use for this node\'s API (repeatable; other Host headers are refused)', collect)
    .option('--api-allow-origin <origin>', 'a browser origin allowed to call the API (repeatable)', collect)
    .option('--api-tls-cert <file>', 'serve the API over HTTPS with this PEM certificate (with --api-tls-key)')
    .option('--api-tls-key <file>', 'the PEM key of --api-tls-cert')
    .option('--mesh-port <port>', 'where other nodes\' meshes reach this node\'s replicas (default 7702)')
    .option('--http-port <port>', 'the HTTP ingress port (default 80; 0: no HTTP ingress)')
    .option('--https-port <port>', 'the HTTPS ingress port (default 443; 0: no HTTPS ingress)')
    .option('--replica-subnet <cidr>', 'the subnet of this node\'s replica network (default: one the node chooses in 10.208.0.0/12)')
    .option('--dns-forward <ip[:port]>', 'a resolver for names outside meshd, for the replicas (repeatable; default: the host\'s)', collect)
    .option('--reap-after <duration>', 'remove a member for good once it has been dead this long (default 24h)')
    .option('--allow-low-ports', 'let services publish ports below 1024 on this node\'s API')
    .option('--metrics-public', 'serve GET /metrics without a token (for a Prometheus that holds none)')
    .option('--mesh-idle-timeout <duration>', 'the routing mesh closes connections idle this long (default 5m)')
    .option('--acme-directory <url>', 'the ACME directory that issues the ingress\' TLS certificates (HTTP-01), e.g. https://acme-v02.api.letsencrypt.org/directory')
    .option('--acme-email <address>', 'the contact of the cluster\'s ACME account')
    .option('--acme-ca-file <file>', 'an extra CA (PEM) trusted for the ACME directory\'s HTTPS (a test CA such as pebble)')
}

/** Starts the daemon, stops it on SIGTERM/SIGINT; a start-up failure exits 1 with one message. */
export async function runUntilSignal (daemon: Daemon): Promise<void> {
  let stopping: Promise<void> | undefined
  const stop = (signal: string): void => {
    stopping ??= daemon.stop().then(() => { process.exit(0) }, (err: Error) => {
      process.stderr.write(`meshd: error while stopping on ${signal}: ${err.message}\n`)
      process.exit(1)
    })
  }
  process.on('SIGTERM', () => { stop('SIGTERM') })
  process.on('SIGINT', () => { stop('SIGINT') })
  try {
    await daemon.start()
  } catch (err) {
    await daemon.stop().catch(() => {})
    // A known refusal is one clear message; anything else shows where it came from.
    const clear = err instanceof StartupError || err instanceof DocumentCorruptError
    process.stderr.write(`meshd: ${clear ? err.message : (err as Error).stack ?? String(err)}\n`)
    process.exit(1)
  }
}
