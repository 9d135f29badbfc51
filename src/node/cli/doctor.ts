// `meshd doctor --data-dir D [--repair] [--json]`: what is wrong with a data dir, and
// with --repair the fix. It reads what start() reads and finds what start() would
// refuse (src/crdt/doctor.ts); a repair takes the data dir's lock first, so it never
// runs under a daemon, and keeps every byte it takes out of a file next to that file.

import type { Command } from 'commander'
import { resolve } from 'node:path'
import { doctorCommand, examineDataDir, repairDocument } from '../../crdt/index.ts'
import type { DataDirReport, DocumentFileReport, RepairAction } from '../../crdt/index.ts'
import { DataDirLockedError, dataDirLocked, lockDataDir, secureDataDir } from '../datadir/index.ts'
import { table } from './table.ts'

interface DoctorFlags { dataDir: string, repair?: boolean, json?: boolean }

/** What one doctor run found and did: the --json output. */
export interface DoctorResult {
  /** The data dir as it is now (after the repair, with --repair). */
  report: DataDirReport
  daemonRunning: boolean
  repair?: { before: DataDirReport, actions: RepairAction[], modesFixed: string[] }
}

export function registerDoctorCommand (program: Command): void {
  program.command('doctor')
    .description('check a data dir: file modes, the cluster document\'s snapshot and log; --repair fixes what it finds')
    .requiredOption('--data-dir <dir>', 'the data dir to check')
    .option('--repair', 'cut the log at its first defect and move a damaged snapshot aside (keeping the bytes next to them), set modes 0700/0600')
    .option('--json', 'print JSON for scripts')
    .action(async (flags: DoctorFlags) => {
      const result = await runDoctor(resolve(flags.dataDir), flags.repair === true)
      process.stdout.write(flags.json === true ? `${JSON.stringify(result, null, 2)}\n` : describe(result))
      if (result.report.problems.length > 0) process.exitCode = 1
    })
}

/** Examines `dir` and, with `repair`, repairs it; throws DataDirLockedError when repairing under a running daemon. */
export async function runDoctor (dir: string, repair: boolean): Promise<DoctorResult> {
  const before = examineDataDir(dir)
  if (!repair || !before.exists) return { report: before, daemonRunning: await dataDirLocked(dir) }
  const lock = await lockDataDir(dir).catch((err: unknown) => {
    if (err instanceof DataDirLockedError) throw new DataDirLockedError(dir, 'stop it before `meshd doctor --repair`')
    throw err
  })
  let actions: RepairAction[]
  let modesFixed: string[]
  try {
    actions = repairDocument(dir)
    modesFixed = await secureDataDir(dir)
  } finally {
    await lock.release()
  }
  return { report: examineDataDir(dir), daemonRunning: false, repair: { before, actions, modesFixed } }
}

/** The result for people. */
export function describe (result: DoctorResult): string {
  const { report, repair } = result
  const lines: string[] = []
  if (repair !== undefined) lines.push(...repairLines(repair.before, repair.actions, repair.modesFixed), '')
  if (!report.exists) return `${[...lines, `${report.dir} does not exist`].join('\n')}\n`
  lines.push(`data dir ${report.dir} (mode ${report.mode ?? '?'})${result.daemonRunning ? ': a daemon is running on it' : ''}`)
  lines.push(table(['NAME', 'KIND', 'BYTES', 'MODE'], report.files.map((f) => [f.name, f.kind, String(f.bytes), f.mode])).trimEnd())
  lines.push(documentLine('snapshot', report.snapshot), documentLine('log', report.log))
  if (report.problems.length === 0) return `${[...lines, 'no problems'].join('\n')}\n`
  lines.push('problems:', ...report.problems.map((problem) => `  ${problem}`))
  lines.push(report.startable
    ? 'meshd starts on it as it is (it cuts a torn tail by itself)'
    : 'meshd refuses to start on it')
  lines.push(`\`${doctorCommand(report.dir, true)}\` fixes it, keeping every byte it takes out in a file next to its file`)
  return `${lines.join('\n')}\n`
}

function documentLine (what: string, file: DocumentFileReport): string {
  if (!file.present) return `${what}: ${file.file} absent`
  const state = file.defect === undefined ? 'sound' : `damaged at byte ${file.defect.offset} (${file.defect.kind})`
  return `${what}: ${file.file}, ${file.bytes} bytes, ${plural(file.records, 'sound record')}, ${state}`
}

function plural (count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

function repairLines (before: DataDirReport, actions: RepairAction[], modesFixed: string[]): string[] {
  const lines = actions.map((action) => action.action === 'moved'
    ? `moved ${action.file} aside: its ${action.bytes} bytes are kept in ${action.keptIn}; the node takes the document back from its peers`
    : `cut ${action.file} at byte ${action.offset}: it keeps its first ${plural(before.log.records, 'record')} (${action.offset} bytes); ` +
      `the ${action.bytes} bytes cut are kept in ${action.keptIn}`)
  lines.push(...modesFixed.map((path) => `set the mode of ${path} to ${path === before.dir ? '0700' : '0600'}`))
  return lines.length === 0 ? ['nothing to repair'] : lines
}
