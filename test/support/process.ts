// A program run to its end for a test: exit code and trimmed output, never a throw.

import { spawn } from 'node:child_process'

export interface Outcome { code: number | null, stdout: string, stderr: string }

/** Runs `file args` with `env`; resolves with its exit code (-1 when it could not start) and output. */
export async function run (file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Outcome> {
  return await new Promise((resolve) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('error', (err) => { resolve({ code: -1, stdout, stderr: err.message }) })
    child.on('close', (code) => { resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() }) })
  })
}
