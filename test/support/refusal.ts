// What a write refused with a MeshdError: its code, path and message.

import { MeshdError } from '../../src/node/errors.ts'

export function refusal (fn: () => unknown): { code: string, path?: string, message: string } {
  try {
    fn()
  } catch (err) {
    if (err instanceof MeshdError) return { code: err.code, message: err.message, ...(err.path === undefined ? {} : { path: err.path }) }
    throw err
  }
  throw new Error('expected a refusal')
}
