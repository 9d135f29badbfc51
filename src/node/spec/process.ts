// How a replica's process is started and stopped: Docker's Entrypoint, User,
// WorkingDir, StopSignal and StopTimeout, as Compose writes them.

import * as z from 'zod'
import { MAX_COMMAND_ITEMS, MAX_STOP_GRACE_MS, MAX_TARGET_LENGTH, MAX_USER_LENGTH, STOP_SIGNALS } from './constants.ts'
import { isCleanAbsolutePath } from './files.ts'
import { duration } from './shapes.ts'

// A name or a numeric id, optionally ":group"; Docker resolves names in the image's /etc/passwd.
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/

const entrypointError = `an array of at most ${MAX_COMMAND_ITEMS} strings (empty resets the image's entrypoint)`
const entrypoint = z.array(z.string({ error: 'a string' }), { error: entrypointError })
  .max(MAX_COMMAND_ITEMS, { error: entrypointError })

const userError = `a user such as "1000", "1000:1000" or "postgres" (letters, digits, "_", "." and "-", at most ${MAX_USER_LENGTH} characters)`
const user = z.string({ error: userError }).max(MAX_USER_LENGTH, { error: userError }).regex(USER, { error: userError })

const workingDirError = `an absolute path such as "/app" (no empty, "." or ".." parts, at most ${MAX_TARGET_LENGTH} characters)`
// No control characters: the path is shown in `inspect` output and logs.
const workingDir = z.string({ error: workingDirError })
  .refine((path) => path === '/' || (isCleanAbsolutePath(path) && !/\p{Cc}/u.test(path)), { error: workingDirError })

const stopSignal = z.enum(STOP_SIGNALS, { error: `one of ${STOP_SIGNALS.map((s) => `"${s}"`).join(', ')}` })

/** The process fields of serviceSpecSchema, all optional. */
export const processFields = {
  entrypoint: entrypoint.optional(),
  user: user.optional(),
  workingDir: workingDir.optional(),
  stopSignal: stopSignal.optional(),
  stopGracePeriod: duration(0, MAX_STOP_GRACE_MS).optional()
}
