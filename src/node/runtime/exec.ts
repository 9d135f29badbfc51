import { Writable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import type Docker from 'dockerode'
import type { ExecResult } from './types.ts'

export interface ExecOptions {
  signal?: AbortSignal
  timeoutMs: number
  /** Bytes of output kept; the rest is dropped and marked. */
  outputCap: number
}

/** The command did not finish within its time limit (it may still run in the container). */
export class ExecTimeoutError extends Error {
  constructor (cmd: string[], timeoutMs: number) {
    super(`exec ${JSON.stringify(cmd)} timed out after ${timeoutMs} ms`)
    this.name = 'ExecTimeoutError'
  }
}

/** Runs cmd in a running container; resolves its exit code and combined stdout+stderr (capped); rejects with ExecTimeoutError after timeoutMs. */
export async function execIn (docker: Docker, id: string, cmd: string[], opts: ExecOptions): Promise<ExecResult> {
  const deadline = new AbortController()
  const timer = setTimeout(() => deadline.abort(), opts.timeoutMs)
  const signal = opts.signal === undefined ? deadline.signal : AbortSignal.any([opts.signal, deadline.signal])
  try {
    const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, abortSignal: signal })
    const stream = await exec.start({ hijack: true, stdin: false, abortSignal: signal })
    const output = new CappedOutput(opts.outputCap)
    docker.modem.demuxStream(stream, output.sink(), output.sink())
    // After the upgrade the socket no longer belongs to the request, so the request's
    // signal cannot end it: destroy it ourselves, whatever happened.
    try {
      await finished(stream, { writable: false, signal })
    } finally {
      stream.destroy()
    }
    return { exitCode: await exitCodeOf(exec, signal), output: output.text() }
  } catch (err) {
    if (deadline.signal.aborted && opts.signal?.aborted !== true) throw new ExecTimeoutError(cmd, opts.timeoutMs)
    throw err
  } finally {
    clearTimeout(timer)
  }
}

// The engine can report the exec as running for a moment after its stream closed.
async function exitCodeOf (exec: Docker.Exec, signal: AbortSignal): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const info = await exec.inspect({ abortSignal: signal })
    if (!info.Running && info.ExitCode !== null) return info.ExitCode
    if (attempt >= 50) throw new Error(`exec ${exec.id} ended its output but the engine still reports it running`)
    await sleep(10, undefined, { signal })
  }
}

class CappedOutput {
  private readonly cap: number
  private readonly chunks: Buffer[] = []
  private size = 0
  private truncated = false

  constructor (cap: number) {
    this.cap = cap
  }

  sink (): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.add(chunk)
        callback()
      }
    })
  }

  text (): string {
    return Buffer.concat(this.chunks).toString('utf8') + (this.truncated ? '\n[output truncated]' : '')
  }

  private add (chunk: Buffer): void {
    const room = this.cap - this.size
    if (chunk.length > room) this.truncated = true
    if (room <= 0) return
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk
    this.chunks.push(kept)
    this.size += kept.length
  }
}
