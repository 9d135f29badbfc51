// The `meshd` command line.

import { Command, CommanderError } from 'commander'
import { registerClusterCommands } from './cluster.ts'
import { registerDeployCommand } from './deploy.ts'
import { registerDoctorCommand } from './doctor.ts'
import { registerEventsCommand } from './events.ts'
import { registerNodeCommands } from './node.ts'
import { registerProblemsCommand } from './problems.ts'
import { registerJoinTokenCommand } from './secret.ts'
import { registerServiceCommands } from './service.ts'
import { registerStackCommands } from './stack.ts'
import { registerComposeCommands } from './compose.ts'
import { registerStartCommand } from './start.ts'
import { registerStoredCommands } from './stored.ts'
import { registerBackupCommands } from './backups.ts'
import { registerTokenCommands } from './token.ts'
import { registerTopCommands } from './top.ts'
import { registerUpCommand } from './up.ts'
import { registerLogsCommand } from './logs.ts'
import { registerAlertCommands } from './alert.ts'
import { registerCertCommands } from './cert.ts'

/** Runs the CLI with process.argv-style arguments. */
export async function main (argv: string[]): Promise<void> {
  const program = new Command('meshd')
    .description('a leaderless, peer-to-peer container mesh')
    .version('0.1.0')
    .showHelpAfterError()
    // Everything after a service's IMAGE is the container's command, dashes included.
    .enablePositionalOptions()
  registerStartCommand(program)
  registerUpCommand(program)
  registerJoinTokenCommand(program)
  registerServiceCommands(program)
  registerTopCommands(program)
  registerLogsCommand(program)
  registerNodeCommands(program)
  registerTokenCommands(program)
  registerStoredCommands(program, 'secret')
  registerStoredCommands(program, 'config')
  registerClusterCommands(program)
  registerProblemsCommand(program)
  registerDeployCommand(program)
  registerComposeCommands(registerStackCommands(program))
  registerDoctorCommand(program)
  registerBackupCommands(program)
  registerEventsCommand(program)
  registerAlertCommands(program)
  registerCertCommands(program)
  try {
    await program.parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) throw err
    process.stderr.write(`meshd: ${(err as Error).message}\n`)
    process.exitCode = 1
  }
}
